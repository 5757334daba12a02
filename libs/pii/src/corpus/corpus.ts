import { PII_TYPE_INFO, type PiiType } from '../types.js';
import { NEGATIVES } from './negatives.js';
import { Rng } from './prng.js';
import { FILLERS, type Lang, NAME_TEMPLATES, TEMPLATES } from './templates.js';
import { GENERATORS } from './values.js';

/** A gold annotation. */
export interface LabelledSpan {
  readonly start: number;
  readonly end: number;
  readonly type: PiiType;
}

/** One generated text with its gold spans; `clean` texts contain no PII at all. */
export interface CorpusDoc {
  readonly id: string;
  readonly lang: Lang;
  readonly text: string;
  readonly spans: readonly LabelledSpan[];
  readonly clean: boolean;
}

/** Options of {@link generateCorpus}. */
export interface CorpusOptions {
  readonly seed?: number;
  /** Documents per PII type (default 20). */
  readonly docsPerType?: number;
  /** Documents without PII (default 500). */
  readonly cleanDocs?: number;
}

const NO_SPACE: ReadonlySet<Lang> = new Set(['zh', 'ja']);

class DocBuilder {
  private text = '';
  readonly spans: LabelledSpan[] = [];
  constructor(readonly lang: Lang) {}

  /** Chinese and Japanese sentences follow each other without a space, but not next to Latin text. */
  private separate(next: string): void {
    if (this.text.length === 0) return;
    // A sentence that ends with a value gets its full stop, as in real text.
    const last = this.text.charCodeAt(this.text.length - 1);
    if ((last >= 48 && last <= 57) || (last >= 65 && last <= 90) || (last >= 97 && last <= 122) || (last >= 0xff10 && last <= 0xff5a) || (last >= 0x0660 && last <= 0x0669)) {
      this.text += NO_SPACE.has(this.lang) ? '。' : '.';
    }
    const joinTight = NO_SPACE.has(this.lang) && this.text.charCodeAt(this.text.length - 1) > 0x2e80 && next.charCodeAt(0) > 0x2e80;
    this.text += joinTight ? '' : ' ';
  }

  add(sentence: string): void {
    this.separate(sentence);
    this.text += sentence;
  }

  /** Adds `template` with `value` in place of `{v}` and records the value's span. */
  addValue(template: string, value: string, type: PiiType): void {
    this.separate(template.startsWith('{v}') ? value : template);
    const at = template.indexOf('{v}');
    const start = this.text.length + at;
    this.text += template.slice(0, at) + value + template.slice(at + 3);
    this.spans.push({ start, end: start + value.length, type });
  }

  build(id: string, clean: boolean): CorpusDoc {
    return { id, lang: this.lang, text: this.text, spans: this.spans, clean };
  }
}

/** Rewrites ASCII digits as full-width (Japanese/Chinese input methods) or Arabic-Indic digits. */
function localiseDigits(r: Rng, lang: Lang, value: string): string {
  const base = lang === 'ar' && r.chance(0.35) ? 0x0660 : (lang === 'ja' || lang === 'zh') && r.chance(0.2) ? 0xff10 : 0;
  if (base === 0) return value;
  let out = '';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (c >= 48 && c <= 57) out += String.fromCharCode(base + c - 48);
    else if (ch === '-' && base === 0xff10) out += '－';
    else out += ch;
  }
  return out;
}

function addValueOf(r: Rng, doc: DocBuilder, type: PiiType): void {
  const templates = TEMPLATES[type];
  const gen = GENERATORS[type];
  if (templates === undefined || gen === undefined) return;
  const [, template] = r.pick(templates.filter(([lang]) => lang === doc.lang).length > 0 ? templates.filter(([lang]) => lang === doc.lang) : templates);
  doc.addValue(template, localiseDigits(r, doc.lang, gen(r, doc.lang)), type);
}

/**
 * A deterministic labelled corpus: for every type, `docsPerType` texts in the languages of its
 * group, with correct check digits and the separators, full-width and Arabic-Indic digits people
 * use, some mixed with a second PII value or a hard negative; plus `cleanDocs` texts made of
 * fillers and hard negatives (order numbers, timestamps, UUIDs, versions, prices, code, ISBNs,
 * tracking numbers, look-alikes with a wrong check digit).
 */
export function generateCorpus(options: CorpusOptions = {}): CorpusDoc[] {
  const r = new Rng(options.seed ?? 20_240_601);
  const perType = options.docsPerType ?? 20;
  const docs: CorpusDoc[] = [];
  const types = (Object.keys(TEMPLATES) as PiiType[]).filter((t) => GENERATORS[t] !== undefined);

  for (const type of types) {
    const templates = TEMPLATES[type] ?? [];
    for (let n = 0; n < perType; n++) {
      const [lang, template] = r.pick(templates);
      const doc = new DocBuilder(lang);
      if (r.chance(0.6)) doc.add(r.pick(FILLERS[lang]));
      doc.addValue(template, localiseDigits(r, lang, GENERATORS[type]!(r, lang)), type);
      if (r.chance(0.3)) {
        const group = PII_TYPE_INFO[type].group;
        const sibling = types.filter((t) => t !== type && PII_TYPE_INFO[t].group === group);
        if (sibling.length > 0) addValueOf(r, doc, r.pick(sibling));
      }
      if (r.chance(0.4)) doc.add(r.pick(NEGATIVES)(r));
      if (r.chance(0.5)) doc.add(r.pick(FILLERS[lang]));
      docs.push(doc.build(`${type}-${n}`, false));
    }
  }

  for (let n = 0; n < perType * NAME_TEMPLATES.length; n += NAME_TEMPLATES.length) {
    for (const [lang, template, names] of NAME_TEMPLATES) {
      const doc = new DocBuilder(lang);
      if (r.chance(0.5)) doc.add(r.pick(FILLERS[lang]));
      doc.addValue(template, r.pick(names), 'PERSON_NAME');
      if (r.chance(0.3)) doc.add(r.pick(FILLERS[lang]));
      docs.push(doc.build(`PERSON_NAME-${lang}-${n}`, false));
    }
  }

  const langs = Object.keys(FILLERS) as Lang[];
  const cleanCount = options.cleanDocs ?? 500;
  for (let n = 0; n < cleanCount; n++) {
    const lang = r.chance(0.6) ? 'en' : r.pick(langs);
    const doc = new DocBuilder(lang);
    const sentences = r.int(2, 4);
    for (let k = 0; k < sentences; k++) doc.add(r.chance(0.7) ? r.pick(NEGATIVES)(r) : r.pick(FILLERS[lang]));
    docs.push(doc.build(`clean-${n}`, true));
  }
  return docs;
}
