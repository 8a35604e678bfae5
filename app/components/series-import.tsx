import { Alert, Button, Group, NativeSelect, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core'
import { useRef, useState } from 'react'
import { usePreview } from '~/utils/use-preview'
import type { EditorPost } from './post-editor'

type Preview =
  | { ok: true; format: 'csv' | 'markdown'; rows: Array<{ row: number; post: EditorPost; errors: string[] }>; problems: number }
  | { ok: false; field: string; error: string }

/**
 * Import many posts: paste or choose a CSV (a `text` column; `part_2`… for threads) or Markdown file
 * (posts separated by a line `---`). The server previews every row with its problems for the chosen
 * accounts; the rows are added to the editor only when none has a problem (nothing half-imported).
 */
export function SeriesImport(props: { csrf: string; accountIds: string[]; onAccept: (posts: EditorPost[]) => void }) {
  const fetcher = usePreview<Preview>('/app/series/import')
  const [text, setText] = useState('')
  const [format, setFormat] = useState('auto')
  const [accepted, setAccepted] = useState<number | null>(null)
  const fileRef = useRef<HTMLInputElement>(null)
  const preview = fetcher.data

  function runPreview() {
    const body = new FormData()
    body.set('csrf', props.csrf)
    body.set('format', format)
    body.set('text', text)
    const file = fileRef.current?.files?.[0]
    if (file) body.set('file', file)
    props.accountIds.forEach((id) => body.set(`account-${id}`, 'on'))
    setAccepted(null)
    fetcher.submit(body)
  }

  return (
    <Paper withBorder p="sm" component="section" aria-labelledby="import-title">
      <Stack gap="xs">
        <Title order={3} size="h4" id="import-title">
          Import posts
        </Title>
        <Text size="sm" c="dimmed">
          Paste or choose a CSV file (a header line with a <code>text</code> column; <code>part_2</code>, <code>part_3</code>… make a thread) or Markdown
          (posts separated by a line holding only ---). You see every row and its problems before anything is added.
        </Text>
        <Textarea label="Posts to import" autosize minRows={3} maxRows={12} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        <Group align="flex-end">
          <Text component="label" size="sm">
            Or choose a file{' '}
            <input ref={fileRef} type="file" accept=".csv,.md,.markdown,.txt,text/csv,text/markdown,text/plain" />
          </Text>
          <NativeSelect
            label="Format"
            value={format}
            onChange={(e) => setFormat(e.currentTarget.value)}
            data={[
              { value: 'auto', label: 'Detect' },
              { value: 'csv', label: 'CSV' },
              { value: 'markdown', label: 'Markdown' },
            ]}
          />
          <Button variant="default" onClick={runPreview} loading={fetcher.loading}>
            Preview import
          </Button>
        </Group>
        {preview && !preview.ok ? (
          <Alert color="red" role="alert">
            {preview.error}
          </Alert>
        ) : null}
        {preview && preview.ok ? (
          <Stack gap="xs">
            <Text size="sm" role="status">
              {preview.rows.length} posts found ({preview.format === 'csv' ? 'CSV' : 'Markdown'}),{' '}
              {preview.problems === 0 ? 'no problems.' : `${preview.problems} with problems: fix them in the file and preview again.`}
            </Text>
            <Table aria-label="Import preview" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{preview.format === 'csv' ? 'Line' : 'Post'}</Table.Th>
                  <Table.Th scope="col">Text</Table.Th>
                  <Table.Th scope="col">Problems</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.rows.map((row) => (
                  <Table.Tr key={row.row}>
                    <Table.Td>{row.row}</Table.Td>
                    <Table.Td className="wrap-anywhere" style={{ whiteSpace: 'pre-wrap' }}>
                      {row.post.parts.map((p) => p.text).join('\n— ')}
                      {row.post.parts.length > 1 ? <Text size="xs" c="dimmed">Thread of {row.post.parts.length}</Text> : null}
                      {Object.keys(row.post.variants ?? {}).length ? <Text size="xs" c="dimmed">Own text for {Object.keys(row.post.variants ?? {}).join(', ')}</Text> : null}
                    </Table.Td>
                    <Table.Td className="wrap-anywhere">{row.errors.length ? <Text c="red" size="sm">{row.errors.join('; ')}</Text> : 'OK'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Group>
              <Button
                disabled={preview.problems > 0 || accepted !== null}
                onClick={() => {
                  props.onAccept(preview.rows.map((r) => r.post))
                  setAccepted(preview.rows.length)
                }}
              >
                Add {preview.rows.length} posts
              </Button>
              {accepted !== null ? <Text size="sm" role="status">{accepted} posts added to the series below the others.</Text> : null}
            </Group>
          </Stack>
        ) : null}
      </Stack>
    </Paper>
  )
}
