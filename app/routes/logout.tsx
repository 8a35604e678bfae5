import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { readFormData } from '~/utils/forms.server'
import { endSession } from '~/utils/session.server'

export async function loader() {
  return redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  await readFormData(request, context.services)
  const cookie = await endSession(request, context.services)
  return redirect('/login', { headers: { 'Set-Cookie': cookie } })
}
