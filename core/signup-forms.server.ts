import { findPublicSignupForm, insertSignupForm, listConsentRecords, listSignupForms, type SignupForm } from '../db/queries/contacts'
import type { Services } from './services.server'

/** Signup forms: the hosted and embeddable double opt-in forms that add contacts to a workspace. */

export type { SignupForm }

export async function listWorkspaceSignupForms(services: Services, args: { workspaceId: string }): Promise<SignupForm[]> {
  return listSignupForms(services.database.db, args)
}

export async function createSignupForm(services: Services, args: { workspaceId: string; name: string; consentText: string; tags: string[] }): Promise<SignupForm> {
  return insertSignupForm(services.database.db, args)
}

/** A form by its public id (the unguessable id in the URL is what names the workspace), or null. */
export async function findSignupForm(services: Services, args: { formId: string }): Promise<SignupForm | null> {
  return findPublicSignupForm(services.database.db, args)
}

/** The form a contact signed up through, named by the consent record a confirmation link carries; null for other sources. */
export async function findSignupFormOfConsent(services: Services, args: { workspaceId: string; contactId: string; consentId: string }): Promise<SignupForm | null> {
  const db = services.database.db
  const { workspaceId } = args
  const consent = (await listConsentRecords(db, { workspaceId, contactId: args.contactId })).find((c) => c.id === args.consentId)
  const formId = consent?.source.startsWith('form:') ? consent.source.slice('form:'.length) : null
  return formId ? ((await listSignupForms(db, { workspaceId })).find((f) => f.id === formId) ?? null) : null
}
