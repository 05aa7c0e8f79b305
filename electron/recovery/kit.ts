/**
 * The recovery kit: one printable sheet per rack that lets an engineer with nothing but the
 * sheet, the share and the key bring the rack back. It names where the backups are, which key
 * epoch or certificate each needs, and the rack's versions, and walks through the recovery
 * steps. It never contains a secret: the key, the .pfx password and the storage password are
 * only referred to by name, with a blank line to note where they are kept offline.
 */
import { NOT_RESTORED } from './components.js';
import { html, htmlDocument } from './html.js';
import { formatBytes } from '../../shared/format.js';
import { formatTime } from './report.js';

export interface KitBackup {
  readonly id: string;
  readonly createdAt: string;
  readonly status: string;
  readonly sourceVersion: string;
  readonly keyReference: string;
  readonly sizeBytes: number;
  readonly provenAt: string | null;
}

export interface RecoveryKit {
  readonly generatedAt: string;
  readonly rack: {
    readonly stampId: string;
    readonly url: string;
    readonly fingerprint: string;
    readonly version: string;
    readonly region?: string | undefined;
    readonly externalDomain?: string | undefined;
  };
  readonly location: { readonly path: string; readonly username?: string | undefined };
  readonly encryption:
    | { readonly mode: 'key'; readonly epochs: readonly number[] }
    | { readonly mode: 'certificate'; readonly thumbprints: readonly string[] };
  readonly backups: readonly KitBackup[];
}

export function renderKitHtml(kit: RecoveryKit): string {
  const title = `Recovery kit: ${kit.rack.stampId}`;
  return htmlDocument(
    title,
    html`<header>
        <h1>${title}</h1>
        <p class="lead">
          Printed ${formatTime(kit.generatedAt)}. Keep this sheet with the offline copy of the key.
          It holds no secret.
        </p>
      </header>
      <main>
        <h2>Rack</h2>
        <dl>
          <dt>Stamp id</dt>
          <dd><code>${kit.rack.stampId}</code></dd>
          ${
            kit.rack.region
              ? html`<dt>Region</dt>
                  <dd>${kit.rack.region}</dd>`
              : ''
          }
          ${
            kit.rack.externalDomain
              ? html`<dt>External domain</dt>
                  <dd>${kit.rack.externalDomain}</dd>`
              : ''
          }
          <dt>Version at printing</dt>
          <dd>${kit.rack.version}</dd>
          <dt>Address</dt>
          <dd><code>${kit.rack.url}</code></dd>
          <dt>Certificate SHA-256</dt>
          <dd><code>${kit.rack.fingerprint}</code> (changes when the rack is redeployed)</dd>
        </dl>
        <h2>External storage</h2>
        <dl>
          <dt>Location</dt>
          <dd><code>${kit.location.path}</code></dd>
          <dt>User name</dt>
          <dd>${kit.location.username ?? 'none'}</dd>
          <dt>Password kept at</dt>
          <dd><span class="blank"></span></dd>
        </dl>
        <h2>Decryption</h2>
        ${encryption(kit)}
        <h2>Backups at printing</h2>
        ${backupTable(kit)}
        <h2>How to recover</h2>
        <ol class="steps">
          <li>
            Redeploy the rack in recovery mode with version ${kit.rack.version} (or at most one
            minor version newer; a rack more than one minor version newer, or older, is refused).
          </li>
          <li>
            On a workstation with Lifeboat, list the backups without any key:
            <code>lifeboat recovery discover --location ${kit.location.path}</code>.
          </li>
          <li>
            Pick the newest backup whose status is Succeeded and verify it with the key it needs
            (full read):
            <code>lifeboat recovery verify ID --location ${kit.location.path} --key FILE</code>. If
            it is damaged, Lifeboat names the damaged components and offers the newest older backup
            that verifies.
          </li>
          <li>
            Read the redeployed rack's certificate fingerprint from its console and compare it with
            what Lifeboat shows, then run:
            <code
              >lifeboat recovery run ID --location ${kit.location.path} --key FILE --rack URL
              --fingerprint FP --username USER --password-file FILE</code
            >.
          </li>
          <li>
            If the laptop, the network or the rack drops, run
            <code>lifeboat recovery resume</code> (with the same secrets): it continues from the
            last confirmed byte and never restores a component twice.
          </li>
          <li>
            Keep the report: <code>lifeboat recovery report --html report.html</code>. It shows, for
            every component, the digest recorded in the backup and the digest of the restored rack;
            they must be equal.
          </li>
        </ol>
        <h2>Not restored, by design</h2>
        <ul>
          ${NOT_RESTORED.map((item) => html`<li>${item}</li>`)}
        </ul>
      </main>
      <footer>
        Produced by Lifeboat. Print a new kit whenever the key, the certificate or the location
        changes.
      </footer>`,
  );
}

function encryption(kit: RecoveryKit) {
  if (kit.encryption.mode === 'key') {
    return html`<p>
        Backups are encrypted with an operator key (256-bit, base64). Each backup needs the key of
        its epoch.
      </p>
      <dl>
        ${kit.encryption.epochs.map(
          (epoch) =>
            html`<dt>Key epoch ${epoch} kept at</dt>
              <dd><span class="blank"></span></dd>`,
        )}
      </dl>`;
  }
  return html`<p>
      Backups are encrypted to a certificate. Recovery needs its .pfx file and the .pfx password,
      kept offline.
    </p>
    <dl>
      ${kit.encryption.thumbprints.map(
        (thumbprint) =>
          html`<dt>Certificate <code>${thumbprint}</code> .pfx kept at</dt>
            <dd><span class="blank"></span></dd>`,
      )}
    </dl>`;
}

function backupTable(kit: RecoveryKit) {
  if (kit.backups.length === 0) return html`<p>No backup exists yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Backup id</th>
        <th scope="col">Taken</th>
        <th scope="col">Status</th>
        <th scope="col">Rack version</th>
        <th scope="col">Needs</th>
        <th scope="col">Size</th>
        <th scope="col">Proven by drill</th>
      </tr>
    </thead>
    <tbody>
      ${kit.backups.map(
        (backup) =>
          html`<tr>
            <td class="mono">${backup.id}</td>
            <td>${formatTime(backup.createdAt)}</td>
            <td>${backup.status}</td>
            <td>${backup.sourceVersion}</td>
            <td>${backup.keyReference}</td>
            <td>${formatBytes(backup.sizeBytes)}</td>
            <td>${backup.provenAt ? formatTime(backup.provenAt) : 'no'}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
