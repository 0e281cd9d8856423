/** What an anonymous caller learns of the documents behind an answer: a title or key, never a bucket or an internal location. */
import type { KnowledgeBaseRetrievalResult } from '@aws-sdk/client-bedrock-agent-runtime';
import { answerSources, documentSource } from '../../../../lambdas/chat/bedrock/retrieve';

const s3 = (uri: string, metadata?: Record<string, unknown>): KnowledgeBaseRetrievalResult =>
  ({ content: { text: 'x' }, location: { type: 'S3', s3Location: { uri } }, metadata }) as KnowledgeBaseRetrievalResult;

describe('documentSource', () => {
  test('an S3 document is named by its key under the published prefix: the bucket never appears', () => {
    const source = documentSource(s3('s3://acme-internal-docs-123456789012/published/hr/leave.pdf'), 'published/');
    expect(source).toEqual({ title: 'hr/leave.pdf' });
    expect(JSON.stringify(documentSource(s3('s3://acme-internal-docs-123456789012/published/hr/leave.pdf')))).not.toContain('acme-internal');
  });

  test("the owner's title (metadata attribute) wins over the key", () => {
    expect(documentSource(s3('s3://bucket/published/a.pdf', { title: '  Leave policy 2026 ' }), 'published/')).toEqual({
      title: 'Leave policy 2026',
    });
  });

  test('the source URI in metadata is used like the location, bucket dropped', () => {
    const result = {
      content: { text: 'x' },
      metadata: { 'x-amz-bedrock-kb-source-uri': 's3://bucket/published/faq.md' },
    } as KnowledgeBaseRetrievalResult;
    expect(documentSource(result, 'published/')).toEqual({ title: 'faq.md' });
  });

  test('a public web page keeps its URL; internal locations (SharePoint, Confluence) are not listed without a title', () => {
    const web = {
      content: { text: 'x' },
      location: { type: 'WEB', webLocation: { url: 'https://example.com/help' } },
    } as KnowledgeBaseRetrievalResult;
    expect(documentSource(web)).toEqual({ title: 'https://example.com/help', url: 'https://example.com/help' });
    const sharePoint = {
      content: { text: 'x' },
      location: { type: 'SHAREPOINT', sharePointLocation: { url: 'https://acme.sharepoint.com/sites/hr/secret.docx' } },
    } as KnowledgeBaseRetrievalResult;
    expect(documentSource(sharePoint)).toBeUndefined();
    expect(documentSource({ ...sharePoint, metadata: { title: 'HR handbook' } })).toEqual({ title: 'HR handbook' });
  });

  test('answerSources: one entry per document with its best score, best first', () => {
    expect(
      answerSources([
        { text: 'a', source: { title: 'a.md' }, score: 0.5 },
        { text: 'b', source: { title: 'b.md' }, score: 0.7 },
        { text: 'a2', source: { title: 'a.md' }, score: 0.9 },
        { text: 'c', source: undefined, score: 1 },
      ]),
    ).toEqual([
      { title: 'a.md', score: 0.9 },
      { title: 'b.md', score: 0.7 },
    ]);
  });
});
