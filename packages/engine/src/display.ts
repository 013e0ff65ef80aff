/**
 * `@peregrine/engine/display`: what the console's pages show about alerts without evaluating
 * rules: an alert line's message and the ATT&CK catalogue. Its own entry, so that a page that
 * lists alerts loads these few modules and not the whole engine (the rules language, the
 * evaluator, the capture reader), which the barrel (`index.ts`) would bring into its bundle.
 */
export * from './attack/catalogue.js';
export { outputMessage } from './output/message.js';
