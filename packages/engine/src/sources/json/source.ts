import { defineSource } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { SourceDef } from '../../fields/types.js';
import { envelopeTime, jsonFields, pluginEvtFields, type Rec } from '../plugin/common.js';

const time = (_r: Rec, e: Rec) => envelopeTime(e, () => undefined);

/**
 * The generic `json` source: any JSON document, read with `json.value[/pointer]` (and the `jevt.*`
 * aliases). Its time comes from the envelope only (a bare document has no known time field).
 */
export function createJsonSource(): SourceDef {
  return defineSource({
    name: 'json',
    description: 'Any JSON document (Falco json plugin fields json.* / jevt.*).',
    fields: [...pluginEvtFields('json', 'json', time), ...jsonFields(time)],
    isFlat: prefixedKeyTest(['json.', 'jevt.', 'evt.']),
  });
}
