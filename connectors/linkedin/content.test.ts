import { toLittleText, validateLinkedInContent } from './content'

it('escapes little text markup so the commentary reads as typed', () => {
  expect(toLittleText('Hi @team (#launch) *now* \\ ~ [x] <y> {z} a|b_c')).toBe('Hi \\@team \\(\\#launch\\) \\*now\\* \\\\ \\~ \\[x\\] \\<y\\> \\{z\\} a\\|b\\_c')
})

it('counts characters, not UTF-16 units, against the 3,000 limit', () => {
  expect(validateLinkedInContent({ parts: [{ text: '😀'.repeat(3000) }] })).toEqual([])
  expect(validateLinkedInContent({ parts: [{ text: '😀'.repeat(3001) }] }).map((p) => p.message)).toEqual(['Too long for LinkedIn: 3001 characters, at most 3000.'])
  expect(validateLinkedInContent({ parts: [{ text: 'a' }, { text: 'b'.repeat(1251), media: [{ mimeType: 'image/png', data: new Uint8Array(1) }] }] }).map((p) => p.path)).toEqual(['parts[1].text', 'parts[1].media'])
})
