/**
 * The job lock's one error. Its code keeps the BACKUP_ prefix it was published with (operators
 * and scripts look it up in docs/error-codes.md and match on it), although recoveries are
 * refused with it too; electron/controller/errors.ts lists the same spec in BackupErrors.
 */
import { defineErrors } from '../../shared/errors.js';

export const JobLockErrors = defineErrors({
  BACKUP_JOB_RUNNING: {
    category: 'busy',
    hint: 'Wait for the running job to finish (or cancel it), then start again.',
  },
});
