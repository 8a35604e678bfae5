import type { LoaderFunctionArgs } from '@remix-run/node'
import { InputError, loadSeriesAnalytics, loadSeriesPosts, parseAnalyticsPeriod } from '../core.server'
import { notFound, requireMembership } from './auth.server'

type Args = Pick<LoaderFunctionArgs, 'request' | 'params' | 'context'>

/**
 * The series analytics of the page (`?page` picks the page of posts listed) and its CSV export (every
 * post): any member of the workspace; an unknown series (or another workspace's) is a 404, a bad period
 * or page a 400 naming the parameter.
 */
async function forMember<T>({ request, params, context }: Args, load: (args: { workspaceId: string; seriesId: string; search: URLSearchParams }) => Promise<T>) {
  const { workspace } = await requireMembership(request, context.services)
  try {
    return await load({ workspaceId: workspace.id, seriesId: params.seriesId ?? '', search: new URL(request.url).searchParams })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    if (error.status === 404) throw notFound('No such series')
    throw new Response(error.message, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
}

export function loadSeriesAnalyticsFor(args: Args) {
  return forMember(args, ({ search, ...ids }) => loadSeriesAnalytics(args.context.services, { ...ids, period: parseAnalyticsPeriod(search, ['page']), page: search.get('page') || undefined }))
}

export function loadSeriesPostsFor(args: Args) {
  return forMember(args, ({ search, ...ids }) => loadSeriesPosts(args.context.services, { ...ids, period: parseAnalyticsPeriod(search) }))
}
