import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, jsonApi } from '~/utils/api.server'
import { buildOpenApiDocument } from '~/utils/openapi.server'

export const loader = jsonApi(async ({ context }: LoaderFunctionArgs) =>
  apiJson(buildOpenApiDocument({ serverUrl: context.services.config.APP_URL })),
)
