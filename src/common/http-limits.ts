/** Largest request body accepted (413 above it). A full bulk submission of 1,000 e-mails fits. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Longest request target (path and query) accepted: 8 KiB. Longer is a 414; any
 * shorter path reaches its route, so a path parameter of any length up to this is
 * validated like any other value. Node's HTTP parser refuses a request line and
 * headers over 16 KiB in all with a 431.
 */
export const URL_LIMIT_BYTES = 8 * 1024;

export const URI_TOO_LONG_MESSAGE = `The URL is longer than ${URL_LIMIT_BYTES} bytes`;
