import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { nextIndex } from '../lib/keys.js';

export interface Column<Row> {
  /** Column header text, also the accessible name of its cells' column. */
  header: string;
  /** CSS grid track, e.g. '12rem' or '1fr'. */
  width: string;
  cell: (row: Row) => ReactNode;
}

interface VirtualTableProps<Row> {
  label: string;
  rows: readonly Row[];
  columns: readonly Column<Row>[];
  rowKey: (row: Row) => string;
  selectedKey: string | null;
  onSelect: (row: Row) => void;
  /** Fixed row height in px: fixed heights keep 10,000 rows smooth (no measuring). */
  rowHeight?: number;
  height?: number;
}

/**
 * A table that renders only the rows in view, so thousands of backups scroll smoothly.
 *
 * ARIA table semantics with the full row count, so assistive technology announces "row 4,812 of
 * 10,000". The body is one tab stop: arrow keys, Page Up/Down, Home and End move the selection,
 * which keeps keyboard use cheap no matter how many rows there are.
 */
export function VirtualTable<Row>(props: VirtualTableProps<Row>) {
  const { rows, columns, rowKey, selectedKey, onSelect } = props;
  const rowHeight = props.rowHeight ?? 36;
  const scrollRef = useRef<HTMLDivElement>(null);
  // TanStack Virtual returns fresh functions each render by design; the compiler skips this one.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const template = columns.map((c) => c.width).join(' ');
  const selectedIndex = rows.findIndex((r) => rowKey(r) === selectedKey);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const pageSize = Math.max(1, Math.floor((props.height ?? 420) / rowHeight) - 1);
    const next = nextIndex(event.key, selectedIndex, rows.length, pageSize);
    if (next === null) return;
    event.preventDefault();
    const row = rows[next];
    if (row === undefined) return;
    onSelect(row);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  }

  return (
    <div className="vtable" role="table" aria-label={props.label} aria-rowcount={rows.length + 1}>
      <div role="rowgroup">
        <div
          className="vtable-head"
          role="row"
          aria-rowindex={1}
          style={{ gridTemplateColumns: template, height: rowHeight }}
        >
          {columns.map((c) => (
            <div role="columnheader" key={c.header}>
              {c.header}
            </div>
          ))}
        </div>
      </div>
      <div
        ref={scrollRef}
        className="vtable-scroll"
        role="rowgroup"
        tabIndex={0}
        aria-label={`${props.label}: use the arrow keys to choose a row`}
        onKeyDown={onKeyDown}
        style={{ height: Math.min(props.height ?? 420, rows.length * rowHeight + 2) }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index] as Row;
            const key = rowKey(row);
            return (
              <div
                key={key}
                className="vtable-row"
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={key === selectedKey}
                data-row-key={key}
                onClick={() => onSelect(row)}
                style={{
                  gridTemplateColumns: template,
                  height: rowHeight,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {columns.map((c) => (
                  <div role="cell" key={c.header}>
                    {c.cell(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
