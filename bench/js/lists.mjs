// The official Bitrix24 JS SDK (@bitrix24/b24jssdk, pinned in package.json) reading every deal
// of `b24 fake` with actions.v2.fetchList or actions.v2.callList, for the side-by-side rows of
// bench/run.sh. Prints one JSON line: {mode, rows, ms, peakHeapMiB, peakRssMiB, unique}.
//
// Environment (run.sh sets it from what the fake printed):
//   B24_WEBHOOK_URL   the webhook URL
//   B24_MODE          fetchList or callList
//   B24_SELECT        fields, comma-separated
//   B24_BURST, B24_DRAIN, B24_OP_LIMIT_MS, B24_OP_WINDOW_MS
//                     the fake's effective limits: the SDK's limiter is set to them, as a user
//                     of a portal with those limits would
//   B24_SCALE         the fake's time scale (the SDK's delays are divided by it)
// The fake's certificate must be trusted: NODE_EXTRA_CA_CERTS=<its PEM file>.
import { B24Hook, ParamsFactory } from '@bitrix24/b24jssdk'

const env = process.env
const mode = env.B24_MODE ?? 'fetchList'
const select = (env.B24_SELECT ?? 'ID').split(',')

const b24 = B24Hook.fromWebhookUrl(env.B24_WEBHOOK_URL ?? '')
b24.offClientSideWarning?.()
const def = ParamsFactory.getDefault()
await b24.setRestrictionManagerParams({
  ...def,
  rateLimit: { ...def.rateLimit, burstLimit: Number(env.B24_BURST ?? 50), drainRate: Number(env.B24_DRAIN ?? 2) },
  operatingLimit: { ...def.operatingLimit, limitMs: Number(env.B24_OP_LIMIT_MS ?? 480000), windowMs: Number(env.B24_OP_WINDOW_MS ?? 600000) },
  adaptiveConfig: { ...def.adaptiveConfig, maxDelay: def.adaptiveConfig.maxDelay / Number(env.B24_SCALE ?? 1) },
  retryDelay: def.retryDelay / Number(env.B24_SCALE ?? 1),
})

let peakHeap = 0
const sampler = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed) }, 10)
const v2 = b24.actions.v2
const params = { select }
const start = performance.now()
const ids = new Set()
let rows = 0
if (mode === 'fetchList') {
  for await (const page of v2.fetchList.make({ method: 'crm.deal.list', params, idKey: 'ID' })) {
    for (const row of page) {
      ids.add(row.ID)
      rows++
    }
  }
} else {
  const r = await v2.callList.make({ method: 'crm.deal.list', params, idKey: 'ID' })
  if (!r.isSuccess) {
    console.error(`callList: ${r.getErrorMessages().join('; ')}`)
    process.exit(1)
  }
  for (const row of r.getData()) {
    ids.add(row.ID)
    rows++
  }
}
const ms = performance.now() - start
clearInterval(sampler)
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
console.log(JSON.stringify({
  mode, rows, ms: Math.round(ms), unique: ids.size,
  peakHeapMiB: +(peakHeap / 2 ** 20).toFixed(1),
  peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
}))
process.exit(0)
