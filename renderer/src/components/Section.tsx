import { useId, type ReactNode } from 'react';

/** A card with a heading that names it as a region, so landmarks list every section. */
export function Section({
  title,
  level = 2,
  children,
  actions,
  className,
}: {
  title: string;
  level?: 2 | 3;
  children: ReactNode;
  actions?: ReactNode;
  className?: string;
}) {
  const id = useId();
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={id}>
      <div className="row spread">
        <Heading id={id}>{title}</Heading>
        {actions !== undefined && <div className="row no-print">{actions}</div>}
      </div>
      {children}
    </section>
  );
}
