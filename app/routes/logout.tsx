import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { requireCsrf } from '~/utils/csrf.server'
import { endSession } from '~/utils/session.server'

export async function loader() {
  return redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireCsrf(request, context.services, await request.formData())
  const cookie = await endSession(request, context.services)
  return redirect('/login', { headers: { 'Set-Cookie': cookie } })
}
