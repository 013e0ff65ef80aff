export {
  ATTACK_TACTICS,
  ATTACK_TECHNIQUES,
  type AttackTactic,
  type AttackTechnique,
  attackTactic,
  attackTechnique,
} from './catalogue.js';
export { type AttackCoverage, type AttackRule, attackCoverage } from './coverage.js';
export { type AttackTag, type AttackTags, attackOfTag, attackOfTags, tagsReaching } from './tags.js';
