/** A network's mark on a calendar chip: a letter on the network's colour (white on each passes WCAG AA). Decorative: the chip's name says the network. */
const MARKS: Record<string, { letter: string; color: string }> = {
  x: { letter: 'X', color: '#000000' },
  mastodon: { letter: 'M', color: '#563acc' },
  bluesky: { letter: 'B', color: '#0560c8' },
  telegram: { letter: 'T', color: '#1f6fa8' },
  discord: { letter: 'D', color: '#4752c4' },
  slack: { letter: 'S', color: '#4a154b' },
  webhook: { letter: 'W', color: '#495057' },
}

export function NetworkIcon({ kind }: { kind: string }) {
  const mark = MARKS[kind] ?? { letter: kind.charAt(0).toUpperCase(), color: '#495057' }
  return (
    <span aria-hidden="true" className="network-icon" data-network={kind} style={{ background: mark.color }}>
      {mark.letter}
    </span>
  )
}
