import { RapFSError } from "./errors";

/** One page as a resource maps it from the server's response. */
export interface PageData<T> {
  items: T[];
  /** Cursor of the next page; null or undefined on the last page. */
  nextCursor?: string | null | undefined;
}

/** Fetches the page that starts at `cursor` (undefined for the first page). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<PageData<T>>;

export class Page<T> implements AsyncIterable<T> {
  readonly items: T[];
  readonly nextCursor: string | undefined;

  constructor(
    private readonly fetcher: PageFetcher<T>,
    data: PageData<T>,
    cursor: string | undefined,
  ) {
    this.items = data.items;
    // A server that hands back the cursor it was given would otherwise loop forever.
    this.nextCursor = data.nextCursor && data.nextCursor !== cursor ? data.nextCursor : undefined;
  }

  hasNextPage(): boolean {
    return this.nextCursor !== undefined;
  }

  async getNextPage(): Promise<Page<T>> {
    if (this.nextCursor === undefined) throw new RapFSError("No next page; check hasNextPage() first.");
    return new Page(this.fetcher, await this.fetcher(this.nextCursor), this.nextCursor);
  }

  /** This page and every page after it. */
  async *iterPages(): AsyncGenerator<Page<T>, void, undefined> {
    let page: Page<T> = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  /** Every item from this page on, fetching further pages as the loop reaches them. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.iterPages()) yield* page.items;
  }
}

/**
 * What list methods return: `await` it for the first page, or `for await` over it for every item.
 * Nothing is fetched until one of those happens.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  #first: Promise<Page<T>> | undefined;

  constructor(private readonly fetcher: PageFetcher<T>) {}

  private first(): Promise<Page<T>> {
    this.#first ??= this.fetcher(undefined).then((data) => new Page(this.fetcher, data, undefined));
    return this.#first;
  }

  // biome-ignore lint/suspicious/noThenProperty: a PagePromise is awaited for its first page.
  then<R1 = Page<T>, R2 = never>(
    onfulfilled?: ((page: Page<T>) => R1 | PromiseLike<R1>) | null,
    // biome-ignore lint/suspicious/noExplicitAny: the same signature as Promise#then, so callers can type the reason.
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.first().then(onfulfilled, onrejected);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    yield* await this.first();
  }
}

export function paginate<T>(fetcher: PageFetcher<T>): PagePromise<T> {
  return new PagePromise(fetcher);
}
