// @ts-check

/**
 * Goes to a console page; the same page again is shown afresh.
 * @param {string} hash e.g. "#/keys"
 */
export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
