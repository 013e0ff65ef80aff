import { createTRPCRouter } from '../../trpc';
import { activateRuleSetVersion } from './activate-rule-set-version';
import { addRuleTest } from './add-rule-test';
import { compareVersionFiles } from './compare-version-files';
import { createRuleSet } from './create-rule-set';
import { createRuleSetVersion } from './create-rule-set-version';
import { getAlertTuning } from './get-alert-tuning';
import { getDefaultRulesUpdate } from './get-default-rules-update';
import { getEnvironmentLayers } from './get-environment-layers';
import { getRuleSet } from './get-rule-set';
import { getRuleSetVersion } from './get-rule-set-version';
import { exportRuleSetVersion } from './export-rule-set-version';
import { getRuleSetGit } from './get-rule-set-git';
import { importRuleSetBranch } from './import-rule-set-branch';
import { importRuleSetFiles } from './import-rule-set-files';
import { pushRuleSetVersion } from './push-rule-set-version';
import { saveRuleSetGit } from './save-rule-set-git';
import { listRuleSets } from './list-rule-sets';
import { previewAlertException } from './preview-alert-exception';
import { previewPromotion } from './preview-promotion';
import { promoteRuleSetVersion } from './promote-rule-set-version';
import { removeEnvironmentOverride } from './remove-environment-override';
import { rollbackRuleSetVersion } from './rollback-rule-set-version';
import { saveAlertException } from './save-alert-exception';
import { saveEnvironmentOverride } from './save-environment-override';
import { takeDefaultRulesUpdate } from './take-default-rules-update';

/**
 * Rule sets, versions, activation/promotion/rollback, per-environment overrides, and tuning from
 * alerts (rule tests and exceptions made from one), rules as code (archives, Git sync), and taking
 * a newer release's default rules into the default rule set.
 */
export const rulesRouter = createTRPCRouter({
  listRuleSets,
  createRuleSet,
  getRuleSet,
  getVersion: getRuleSetVersion,
  createVersion: createRuleSetVersion,
  activateVersion: activateRuleSetVersion,
  previewPromotion,
  compareVersionFiles,
  promoteVersion: promoteRuleSetVersion,
  rollbackVersion: rollbackRuleSetVersion,
  getEnvironmentLayers,
  saveOverride: saveEnvironmentOverride,
  removeOverride: removeEnvironmentOverride,
  getAlertTuning,
  addRuleTest,
  previewAlertException,
  saveAlertException,
  exportVersion: exportRuleSetVersion,
  importFiles: importRuleSetFiles,
  getGit: getRuleSetGit,
  saveGit: saveRuleSetGit,
  pushVersion: pushRuleSetVersion,
  importBranch: importRuleSetBranch,
  getDefaultsUpdate: getDefaultRulesUpdate,
  takeDefaultsUpdate: takeDefaultRulesUpdate,
});
