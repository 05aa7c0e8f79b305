import { useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { bytesToBase64 } from '../lib/certificate.js';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  help?: ReactNode;
  /** A validation message for this field; it is linked to the input for screen readers. */
  problem?: string | null;
}

/** A labelled input with optional help and problem text, wired with aria-describedby. */
export function Field({ label, help, problem, ...input }: FieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const problemId = `${id}-problem`;
  const describedBy = [help ? helpId : null, problem ? problemId : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy === '' ? undefined : describedBy}
        {...input}
      />
      {help && (
        <span className="help" id={helpId}>
          {help}
        </span>
      )}
      {problem && (
        <span className="help" id={problemId} style={{ color: 'var(--bad)' }}>
          {problem}
        </span>
      )}
    </div>
  );
}

/**
 * A handle on an uncontrolled password input. The secret never enters React state or a store:
 * `take()` reads it once at submission and clears the input at the same moment.
 */
export class SecretHandle {
  private input: HTMLInputElement | null = null;

  /** The callback ref for the input. */
  readonly attach = (input: HTMLInputElement | null): void => {
    this.input = input;
  };

  /** Reads without clearing, for a test call that precedes the real submission. */
  peek(): string {
    return this.input?.value ?? '';
  }

  take(): string {
    if (this.input === null) return '';
    const value = this.input.value;
    this.input.value = '';
    return value;
  }

  isEmpty(): boolean {
    return (this.input?.value ?? '') === '';
  }

  /** For a file input (a .pfx): the chosen file as base64, read once; the input is reset. */
  async takeFileBase64(): Promise<string | null> {
    const file = this.input?.files?.[0];
    if (this.input === null || file === undefined) return null;
    this.input.value = '';
    return bytesToBase64(new Uint8Array(await file.arrayBuffer()));
  }
}

/** One handle per component instance, stable across renders. */
export function useSecret(): SecretHandle {
  const [handle] = useState(() => new SecretHandle());
  return handle;
}

/** A password (or secret file) input bound to a SecretHandle; never controlled, never echoed. */
export function SecretField({
  label,
  handle,
  help,
  autoComplete = 'off',
  onPresenceChange,
  file,
}: {
  label: string;
  handle: SecretHandle;
  help?: ReactNode;
  autoComplete?: string;
  /** A secret file instead of typed text: the file types to offer, e.g. '.pfx,.p12'. */
  file?: { accept: string };
  /** Told whether the input holds text (never the text), so a step can enable Next. */
  onPresenceChange?: (present: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={(input) => handle.attach(input)}
        type={file === undefined ? 'password' : 'file'}
        accept={file?.accept}
        autoComplete={autoComplete}
        spellCheck={false}
        onInput={(e) => onPresenceChange?.(e.currentTarget.value !== '')}
        aria-describedby={help ? `${id}-help` : undefined}
      />
      {help && (
        <span className="help" id={`${id}-help`}>
          {help}
        </span>
      )}
    </div>
  );
}

/** A bounded whole number with its range stated in the label's help text. */
export function RangeField({
  label,
  unit,
  min,
  max,
  value,
  onChange,
}: {
  label: string;
  unit: string;
  min: number;
  max: number;
  value: number;
  onChange: (value: number) => void;
}) {
  const problem =
    Number.isInteger(value) && value >= min && value <= max
      ? null
      : `Choose ${min} to ${max} ${unit}.`;
  return (
    <Field
      label={label}
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={1}
      value={Number.isNaN(value) ? '' : value}
      onChange={(e) => onChange(e.currentTarget.valueAsNumber)}
      help={`${min} to ${max} ${unit}`}
      problem={problem}
    />
  );
}
