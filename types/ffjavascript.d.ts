declare module 'ffjavascript' {
  export function buildBn128(singleThread?: boolean): Promise<any>;
  export const utils: any;
  export const Scalar: any;
  export const F1Field: any;
  export const ChaCha: any;
}
