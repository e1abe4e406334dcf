// Runs a local Bluesky PDS (with an in-memory PLC directory) for crieur's
// end-to-end tests, creates one account, writes how to reach it as JSON and
// stays up until it is sent SIGINT or SIGTERM.
//
//   node start.mjs [connection-file]
//
// Environment: CRIEUR_PDS_PORT (default 2583), CRIEUR_PDS_HANDLE (alice.test),
// CRIEUR_PDS_PASSWORD (a fixed test password). The connection file is
// {"url", "handle", "password", "did"}; without one it goes to stdout.
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

// The dev servers listen on every interface; tests must only ever be
// reachable on loopback, so a listen() given no host gets 127.0.0.1.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (first === undefined || typeof first === 'function') {
    args.unshift(0, '127.0.0.1')
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  } else if (typeof first === 'object' && first !== null && first.path === undefined && first.host === undefined) {
    args[0] = { ...first, host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

// Imported only now so that the servers see the patched listen().
const { TestNetworkNoAppView } = await import('@atproto/dev-env')

const port = Number(process.env.CRIEUR_PDS_PORT || 2583)
const handle = process.env.CRIEUR_PDS_HANDLE || 'alice.test'
const password = process.env.CRIEUR_PDS_PASSWORD || 'crieur-e2e-password'
const out = process.argv[2]

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'crieur-pds-'))
await fs.mkdir(path.join(dataDir, 'data'))
const network = await TestNetworkNoAppView.create({
  pds: {
    port,
    dataDirectory: path.join(dataDir, 'data'),
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
  },
})

const agent = network.pds.getClient()
const { data: account } = await agent.com.atproto.server.createAccount({
  email: `${handle.split('.')[0]}@example.test`,
  handle,
  password,
})

const url = `http://127.0.0.1:${network.pds.port}`
const conn = JSON.stringify({ url, handle, password, did: account.did }, null, 2) + '\n'
if (out) {
  await fs.writeFile(out, conn, { mode: 0o600 })
  console.log(`PDS ready at ${url} as ${handle}; connection written to ${out}`)
} else {
  process.stdout.write(conn)
}

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  try {
    await network.close()
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true })
    if (out) await fs.rm(out, { force: true })
    process.exit(0)
  }
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
