import { OpenAPIHono, type Hook } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { ErrorSchema, errorBody, type FieldProblem } from './errors.ts'

/**
 * Validation failures from any route become a 400 in the project's error shape, with one entry
 * per field so a form can show each message where it belongs.
 */
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return undefined
  const details = result.error.issues.map((issue): FieldProblem => ({
    path: issue.path.map(String).join('.') || result.target,
    message: issue.message,
  }))
  const summary = details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')
  return c.json(
    errorBody('validation_failed', `Invalid ${result.target}: ${summary}`, details),
    400,
  )
}

/** An OpenAPIHono sub-app that reports invalid input the project's way. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
}

/** A documented error answer, in the one error shape. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
})

/** Routes that take a bearer access token (the OpenAPI security scheme `bearerAuth`). */
export const bearerAuth = [{ bearerAuth: [] }]
