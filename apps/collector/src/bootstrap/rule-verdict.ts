/** The verdict logic lives in the engine so the console computes exactly the same status. */
export { judgeRuleFiles, type RuleVerdict } from '@peregrine/engine';
