/**
 * The shared components as markup: what an operator and a screen reader get from them.
 * Rendered with react-dom/server (no DOM needed); the browser tests cover interaction.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DeletionList } from '../../renderer/src/components/DeletionList.js';
import { ErrorNotice, MaybeError } from '../../renderer/src/components/ErrorNotice.js';
import { SecretField, SecretHandle } from '../../renderer/src/components/Fields.js';
import { KeySheet } from '../../renderer/src/components/KeySheet.js';
import { LocationTestView } from '../../renderer/src/components/LocationFields.js';
import { ComponentProgressList } from '../../renderer/src/components/ProgressView.js';
import { Wizard } from '../../renderer/src/components/Wizard.js';

describe('ErrorNotice', () => {
  it('shows the message, the hint and the code, as an alert', () => {
    const html = renderToStaticMarkup(
      <ErrorNotice
        error={{
          code: 'STORAGE_FULL',
          message: 'The location /srv/lifeboat is full.',
          hint: 'Free space or choose another location.',
          category: 'storage',
        }}
      />,
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('The location /srv/lifeboat is full.');
    expect(html).toContain('Free space or choose another location.');
    expect(html).toContain('Code STORAGE_FULL');
    expect(renderToStaticMarkup(<MaybeError error={null} />)).toBe('');
  });
});

describe('Wizard', () => {
  it('marks the current step and the completed ones for assistive technology', () => {
    const html = renderToStaticMarkup(
      <Wizard
        title="Enable backup"
        steps={['Location', 'Credentials', 'Summary']}
        current={1}
        actions={null}
      >
        <p>body</p>
      </Wizard>,
    );
    expect(html).toMatch(/<li aria-current="step"[^>]*>.*2\. Credentials<\/li>/);
    expect(html).toMatch(/Completed: <\/span>1\. Location/);
    expect(html).toMatch(/<h2 tabindex="-1">Credentials<\/h2>/);
  });
});

describe('ComponentProgressList', () => {
  it('gives every component a named progress bar and its figures', () => {
    const html = renderToStaticMarkup(
      <ComponentProgressList
        caption="Backup: progress per component"
        components={[
          {
            component: 'keyvault',
            status: 'Running',
            reason: null,
            bytesDone: 512,
            bytesTotal: 1024,
            bytesPerSecond: 256,
            etaSeconds: 2,
          },
          {
            component: 'rbac',
            status: 'Failed',
            reason: 'The rack refused the export.',
            bytesDone: 0,
            bytesTotal: null,
            bytesPerSecond: null,
            etaSeconds: null,
          },
        ]}
      />,
    );
    expect(html).toContain('aria-label="keyvault progress"');
    expect(html).toContain('value="50"');
    expect(html).toContain('512 B of 1.00 KiB · 256 B/s · 2 s left');
    expect(html).toContain('data-status="Failed"');
    expect(html).toContain('The rack refused the export.');
  });
});

describe('KeySheet', () => {
  it('prints the key in lines of groups with its fingerprint', () => {
    const html = renderToStaticMarkup(
      <KeySheet
        generated={{
          pendingKeyId: 'pending-1',
          key: 'AAAA-BBBB-CCCC-DDDD-EEEE',
          groups: 5,
          confirmGroup: 2,
          keyFingerprint: 'ab12cd34',
          createdAt: '2026-11-25T12:00:00.000Z',
          expiresAt: '2026-11-25T12:15:00.000Z',
        }}
      />,
    );
    expect(html).toContain('<div>AAAA-BBBB-CCCC-DDDD</div><div>EEEE</div>');
    expect(html).toContain('ab12cd34');
    expect(html).toContain('Shown once.');
    expect(html).toContain('print-target');
  });
});

describe('DeletionList', () => {
  const backup = {
    backupId: 'b-1',
    createdAt: '2026-11-01T00:00:00.000Z',
    durationSeconds: 10,
    status: 'Succeeded' as const,
    components: [],
    sizeBytes: 1,
    addedBytes: 1,
    keyEpoch: 1,
    certificateThumbprint: null,
    location: '/srv',
    provenAt: null,
  };
  it('lists what would be deleted and says the newest Succeeded is kept', () => {
    const html = renderToStaticMarkup(
      <DeletionList
        preview={{
          retentionDays: 2,
          wouldDelete: [backup],
          keptNewestSucceeded: 'b-9',
          reclaimableBytes: 2048,
        }}
      />,
    );
    expect(html).toContain('1 backup would be deleted');
    expect(html).toContain('freeing about 2.00 KiB');
    expect(html).toContain('The newest Succeeded backup (b-9) is always kept.');
    expect(html).toContain('<td class="mono">b-1</td>');
  });
  it('says when nothing would be deleted', () => {
    const html = renderToStaticMarkup(
      <DeletionList
        preview={{
          retentionDays: 14,
          wouldDelete: [],
          keptNewestSucceeded: null,
          reclaimableBytes: 0,
        }}
      />,
    );
    expect(html).toContain('nothing would be deleted');
  });
});

describe('LocationTestView', () => {
  it('answers reachable, writable and free space, with the problems', () => {
    const html = renderToStaticMarkup(
      <LocationTestView
        test={{
          reachable: true,
          writable: false,
          freeBytes: 1024 ** 3,
          totalBytes: null,
          existingRepository: null,
          insideAnotherRepository: false,
          problems: [
            {
              code: 'STORAGE_ACCESS_DENIED',
              message: 'Writing the probe file was refused.',
              hint: 'Give the account write access to the folder.',
              category: 'storage',
            },
          ],
        }}
      />,
    );
    expect(html).toMatch(/data-check="Reachable" data-ok="true"/);
    expect(html).toMatch(/data-check="Writable[^"]*" data-ok="false"/);
    expect(html).toContain('1.00 GiB');
    expect(html).toContain('Give the account write access to the folder.');
  });
});

describe('SecretField', () => {
  it('is a labelled password input that never renders a value', () => {
    const html = renderToStaticMarkup(<SecretField label="Password" handle={new SecretHandle()} />);
    expect(html).toMatch(/<label for="([^"]+)">Password<\/label><input id="\1" type="password"/);
    expect(html).not.toContain('value=');
  });
});
