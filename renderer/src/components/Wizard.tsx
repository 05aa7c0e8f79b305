import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A wizard's frame: the list of steps with the current one marked, the step's heading (focused
 * when the step changes, so keyboard and screen-reader users land on the new content), its body,
 * and the Back / Next actions.
 */
export function Wizard({
  title,
  steps,
  current,
  children,
  actions,
}: {
  title: string;
  steps: readonly string[];
  current: number;
  children: ReactNode;
  actions: ReactNode;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, [current]);
  const stepName = steps[current] ?? '';
  return (
    <section aria-labelledby="wizard-title">
      <h1 id="wizard-title">{title}</h1>
      <ol className="steps" aria-label={`${title} steps`}>
        {steps.map((step, index) => (
          <li
            key={step}
            aria-current={index === current ? 'step' : undefined}
            className={index < current ? 'done' : undefined}
          >
            <span className="visually-hidden">{index < current ? 'Completed: ' : ''}</span>
            {index + 1}. {step}
          </li>
        ))}
      </ol>
      <div className="card" data-wizard-step={stepName}>
        <h2 ref={headingRef} tabIndex={-1}>
          {stepName}
        </h2>
        {children}
        <div className="wizard-actions">{actions}</div>
      </div>
    </section>
  );
}
