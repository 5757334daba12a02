import { type ChainDetector } from '../scanner/candidate.js';
import { isDigits } from '../validators/checksums.js';
import { isValidCnResidentId, isValidUscc } from '../validators/east-asia.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';
import { looksLikeDate } from './shapes.js';

const CN_ID_CONTEXT = keywords('身份证', '身份证号', '公民身份号码', '证件号', 'resident id', 'chinese id', 'id card');

/** Chinese resident id: 18 characters, birth date and ISO 7064 MOD 11-2 check (GB 11643-1999). */
export const cnResidentIdDetector: ChainDetector = {
  type: 'CN_RESIDENT_ID',
  minLength: 18,
  maxLength: 18,
  shape: 'any',
  detect(v, x) {
    if (!v.uniformGaps() || !v.gapsIn(' -')) return 0;
    if (!isValidCnResidentId(v.value)) return 0;
    return decide(x, CN_ID_CONTEXT, CONF.strong, 0.99);
  },
};

const USCC_CONTEXT = keywords(
  '统一社会信用代码', '信用代码', '营业执照', '纳税人识别号', '税号', '组织机构代码', 'uscc', 'unified social credit', 'credit code',
);

/** Unified social credit code (GB 32100-2015); an all-digit one could be anything, so it needs context. */
export const usccDetector: ChainDetector = {
  type: 'CN_USCC',
  minLength: 18,
  maxLength: 18,
  shape: 'any',
  mixedAtoms: 1,
  detect(v, x) {
    if (v.atoms !== 1 || v.lowers > 0 || !isValidUscc(v.value)) return 0;
    const bare = isDigits(v.value) ? 0 : CONF.strong;
    return decide(x, USCC_CONTEXT, bare, 0.98);
  },
};

const SECURITIES_CONTEXT = keywords(
  '证券账户', '证券账号', '股东账户', '股东代码', '资金账号', '资金账户', '一码通', '股票账户', '沪市', '深市', '上海账户', '深圳账户',
  'securities account', 'stock account', 'brokerage account', 'shareholder account',
);

/**
 * Chinese securities accounts (China Securities Depository and Clearing): Shanghai A/B + 9 digits,
 * Shenzhen 10 digits, one-code accounts 12 digits. No check digit, so only with context.
 */
export const cnSecuritiesDetector: ChainDetector = {
  type: 'CN_SECURITIES_ACCOUNT',
  minLength: 10,
  maxLength: 12,
  shape: 'any',
  requires: SECURITIES_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, SECURITIES_CONTEXT)) return 0;
    if (looksLikeDate(v) || !v.gapsIn(' -')) return 0;
    const s = v.value;
    const ok = isDigits(s) ? s.length === 10 || s.length === 12 : s.length === 10 && /^[AB]\d{9}$/.test(s);
    if (!ok) return 0;
    return decide(x, SECURITIES_CONTEXT, 0, 0.88);
  },
};
