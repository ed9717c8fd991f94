import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { amazonRdsCertificateAuthorities } from './amazon-rds-ca.ts'

describe('the Amazon RDS certificate authorities (DATABASE_CA=amazon-rds)', () => {
  const subjects = (pems: string[]) =>
    pems.map((pem) => /CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1] ?? '')

  it("holds the roots today's RDS certificates chain to, in every region the lab deploys to", () => {
    const names = subjects(amazonRdsCertificateAuthorities(new Date('2026-11-30')))
    for (const region of ['eu-west-1', 'us-east-1', 'eu-central-1']) {
      // RDS's default certificate authority since 2024 is rds-ca-rsa2048-g1.
      expect(names).toContain(`Amazon RDS ${region} Root CA RSA2048 G1`)
      expect(names).toContain(`Amazon RDS ${region} Root CA ECC384 G1`)
    }
  })

  it('leaves out authorities that have expired', () => {
    const now = new Date('2026-11-30')
    const all = amazonRdsCertificateAuthorities(new Date(0))
    const valid = amazonRdsCertificateAuthorities(now)
    expect(valid.length).toBeLessThan(all.length) // the 2019 generation expired in 2024
    for (const pem of valid) expect(new Date(new X509Certificate(pem).validTo) > now).toBe(true)
    expect(subjects(valid)).not.toContain('Amazon RDS Root 2019 CA')
  })
})
