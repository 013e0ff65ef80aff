export * from './catalogue.js';
export { type AttackCoverage, type AttackRule, attackCoverage } from './coverage.js';
export { type AttackTag, type AttackTags, attackOfTag, attackOfTags, tagsReaching } from './tags.js';
