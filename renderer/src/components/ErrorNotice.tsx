import type { ErrorBody } from '../../../shared/errors.js';

/**
 * Shows a typed error the way every screen must: what happened, what to do, and the code an
 * operator can look up in docs/error-codes.md. `role="alert"` so screen readers announce it.
 */
export function ErrorNotice({ error, title }: { error: ErrorBody; title?: string }) {
  return (
    <div className="notice error" role="alert" data-error-code={error.code}>
      <strong>{title ?? 'That did not work'}</strong>
      <p>{error.message}</p>
      <p>
        <span className="visually-hidden">What to do: </span>
        {error.hint}
      </p>
      <span className="code">Code {error.code}</span>
    </div>
  );
}

/** A slot that renders an error only when there is one, so screens need no conditionals. */
export function MaybeError({ error, title }: { error: ErrorBody | null; title?: string }) {
  return error === null ? null : <ErrorNotice error={error} {...(title ? { title } : {})} />;
}
