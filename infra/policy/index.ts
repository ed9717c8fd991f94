import { PolicyPack } from '@pulumi/policy'
import { policies } from './policies.ts'

// Run by the Pulumi CLI: `pulumi preview --policy-pack infra/policy` (CI and CD pass it).
new PolicyPack('votelab-security', { policies })
