/** The software version workers declare in their membership entries (package.json's `version`). */
export const SOFTWARE_VERSION = '0.1.0';
