/*
 * Types for the optional `mnist` package (CommonJS, no bundled types). Only what
 * `loadMnist` reads is declared: per digit, `raw` holds `length` images of 28×28 values in [0, 1].
 */
declare module 'mnist' {
  interface MnistDigit {
    readonly id: number;
    readonly length: number;
    readonly raw: readonly number[];
  }
  const digits: readonly MnistDigit[];
  export default digits;
}
