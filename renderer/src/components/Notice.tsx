import type { ReactNode } from 'react';

type Tone = 'info' | 'success' | 'warning';

/** A non-error message; warnings are announced politely, the rest are plain text. */
export function Notice({
  tone,
  title,
  children,
}: {
  tone: Tone;
  title?: string;
  children: ReactNode;
}) {
  return (
    <div className={`notice ${tone}`} role={tone === 'warning' ? 'status' : undefined}>
      {title !== undefined && <strong>{title}</strong>}
      <div>{children}</div>
    </div>
  );
}
