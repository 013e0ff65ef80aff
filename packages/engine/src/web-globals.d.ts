// Globals the engine uses that exist in every runtime it targets (browsers, Node, workers) but
// that the ES library typings omit. The engine compiles without DOM or Node typings on purpose.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
