/** What a finished request hands to the parser. */
export interface APIResponseProps {
  response: Response;
  requestId: string | undefined;
  signal: AbortSignal | null | undefined;
}

export interface WithResponse<T> {
  data: T;
  response: Response;
  requestId: string | undefined;
}

/**
 * The promise every request returns: awaiting it gives the parsed body, `asResponse()` the raw
 * `Response` with its body unread (for streaming), `withResponse()` both. The body is parsed only
 * when the parsed value is asked for.
 */
export class APIPromise<T> extends Promise<T> {
  #parsed: Promise<T> | undefined;

  constructor(
    private readonly responsePromise: Promise<APIResponseProps>,
    private readonly parse: (props: APIResponseProps) => Promise<T>,
  ) {
    super((resolve) => resolve(null as T));
  }

  asResponse(): Promise<Response> {
    return this.responsePromise.then((props) => props.response);
  }

  async withResponse(): Promise<WithResponse<T>> {
    const [data, props] = await Promise.all([this.parsed(), this.responsePromise]);
    return { data, response: props.response, requestId: props.requestId };
  }

  /** The same request, its parsed body passed through `transform` (e.g. unwrapping a list). */
  _thenUnwrap<U>(transform: (data: T) => U): APIPromise<U> {
    return new APIPromise<U>(this.responsePromise, async (props) => transform(await this.parse(props)));
  }

  private parsed(): Promise<T> {
    this.#parsed ??= this.responsePromise.then(this.parse);
    return this.#parsed;
  }

  // biome-ignore lint/suspicious/noThenProperty: an APIPromise is awaited like any promise.
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // biome-ignore lint/suspicious/noExplicitAny: the same signature as Promise#then, so callers can type the reason.
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.parsed().then(onfulfilled, onrejected);
  }

  override catch<R = never>(
    // biome-ignore lint/suspicious/noExplicitAny: the same signature as Promise#catch, so callers can type the reason.
    onrejected?: ((reason: any) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.parsed().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.parsed().finally(onfinally);
  }
}
