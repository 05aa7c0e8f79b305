/**
 * Faults a test or a drill injects into the running lab rack (docs/rack-api.md §9). They live in
 * the server's memory only: a restart clears them. Each counted fault fires `times` times
 * (0: until cleared).
 */
import type { ComponentId, LabFaults } from '../shared/rack-api.js';

type Counted<T> = T & { times: number };

export class FaultState {
  #faults: LabFaults = {};

  get(): LabFaults {
    return structuredClone(this.#faults);
  }

  set(faults: LabFaults): void {
    this.#faults = structuredClone(faults);
  }

  latencyMs(): number {
    return this.#faults.latencyMs ?? 0;
  }

  hangs(component: ComponentId): boolean {
    return this.#faults.hangComponent === component;
  }

  /** The status to fail a call naming `component` with, if a failure is armed for it. */
  failure(component: ComponentId): number | undefined {
    const fault = this.#faults.failComponent;
    if (fault === undefined || fault.component !== component) return undefined;
    this.#consume(fault, () => delete this.#faults.failComponent);
    return fault.status;
  }

  /** The byte of the artifact after which a download of bytes [start, end] must drop. */
  downloadDrop(artifact: string, start: number, end: number): number | undefined {
    return this.#drop(
      this.#faults.dropDownload,
      artifact,
      start,
      end,
      () => delete this.#faults.dropDownload,
    );
  }

  /** The byte of the artifact after which an upload of bytes [start, end] must drop. */
  uploadDrop(artifact: string, start: number, end: number): number | undefined {
    return this.#drop(
      this.#faults.dropUpload,
      artifact,
      start,
      end,
      () => delete this.#faults.dropUpload,
    );
  }

  #drop(
    fault: Counted<{ artifact?: string | undefined; atByte: number }> | undefined,
    artifact: string,
    start: number,
    end: number,
    clear: () => void,
  ): number | undefined {
    if (fault === undefined || (fault.artifact !== undefined && fault.artifact !== artifact))
      return undefined;
    if (fault.atByte < start || fault.atByte > end) return undefined;
    this.#consume(fault, clear);
    return fault.atByte;
  }

  #consume(fault: { times: number }, clear: () => void): void {
    if (fault.times === 0) return;
    fault.times--;
    if (fault.times === 0) clear();
  }
}
