'use client';

import styles from './entities.module.css';

/** One process of the tree (level 0: the alert's process). */
export interface TreeNode {
  level: number;
  name: string;
  pid?: string | undefined;
  cmdline?: string | undefined;
}

const BOX_W = 420;
const BOX_H = 44;
const GAP = 18;
const INDENT = 22;
const MAX_CMD = 58;

/**
 * The alert's process and its ancestors as a picture: the oldest ancestor at the top, each child
 * indented under its parent, the alert's process highlighted. Names and command lines come from
 * the event: SVG text nodes, never markup.
 */
export function ProcessTree({ nodes }: { nodes: TreeNode[] }) {
  const top = [...nodes].sort((a, b) => b.level - a.level);
  const width = BOX_W + INDENT * Math.max(0, top.length - 1) + 2;
  const height = top.length * (BOX_H + GAP) - GAP + 2;
  return (
    <svg
      className={styles.tree}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Process tree: ${top.map((n) => n.name).join(' → ')}`}
      data-testid="process-tree-svg"
    >
      {top.map((n, i) => {
        const x = 1 + i * INDENT;
        const y = 1 + i * (BOX_H + GAP);
        const cmd = n.cmdline && n.cmdline !== n.name ? n.cmdline : undefined;
        return (
          <g key={`${n.level}`} data-testid="process-node" data-level={n.level}>
            {i > 0 ? (
              <path
                className={styles.treeLine}
                d={`M ${x - INDENT + 10} ${y - GAP} V ${y + BOX_H / 2} H ${x}`}
                fill="none"
              />
            ) : null}
            <rect
              className={n.level === 0 ? styles.treeBoxSelf : styles.treeBox}
              x={x}
              y={y}
              width={BOX_W}
              height={BOX_H}
              rx={6}
            />
            <text className={styles.treeName} x={x + 10} y={y + (cmd ? 18 : 27)}>
              {n.name}
              {n.pid ? ` (${n.pid})` : ''}
              {n.level === 0 ? ' · this alert' : ''}
            </text>
            {cmd ? (
              <text className={styles.treeCmd} x={x + 10} y={y + 35}>
                {cmd.length > MAX_CMD ? `${cmd.slice(0, MAX_CMD)}…` : cmd}
                <title>{cmd}</title>
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
