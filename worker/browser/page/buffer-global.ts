/** Injected into the page bundle: `Buffer` for the shared modules that use Node's Buffer API (the `buffer` package). */
export { Buffer } from 'buffer';
