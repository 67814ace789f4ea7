package placement

import "github.com/redis/go-redis/v9"

// chargeScript checks and charges one member's caps for the candidates of
// a feed page, in order, until the page's slots are filled, and records the
// impressions it charged, in one atomic step (one EVALSHA, one slot).
//
// KEYS: 1 live counters, 2 the member's caps, 3 the app's record stream.
// ARGV: 1 member, 2 hour bucket, 3 internal ("1"/"0"), 4 slots, 5 now (Unix
// ms), 6 TTL of the member's hash (s), 7 candidates, then six per
// candidate: campaign, day bucket, cap per hour, per day, per flight (0 =
// none), impression id.
//
// A candidate is taken when its budget (<c>:b) and pacing target (<c>:p)
// are published and its served count (<c>:s) is below both, the member has
// not hidden it (<c>:x) and each cap's window is below its cap. Windows are
// fixed: a stored hour or day bucket other than the current one counts 0.
// Taking charges the member's windows and, unless internal, the served
// count; a member's first impression of a campaign makes the hash live
// at least until that flight's end and two days (ARGV 6). The result is
// the campaigns and impression ids taken, flat.
var chargeScript = redis.NewScript(chargeLua)

// ChargeScript is the cap script itself, for benchmarks that call it raw
// beside Fill (bench/sponsored).
func ChargeScript() *redis.Script { return redis.NewScript(chargeLua) }

const chargeLua = `
local live, mem, rec = KEYS[1], KEYS[2], KEYS[3]
local member, hour, internal = ARGV[1], ARGV[2], ARGV[3] == '1'
local want, now, ttl, n = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local taken, fresh = {}, false
local i = 8
for _ = 1, n do
  if #taken >= 2 * want then break end
  local c, day = ARGV[i], ARGV[i + 1]
  local capH, capD, capF = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local imp = ARGV[i + 5]
  i = i + 6
  local st = redis.call('HMGET', live, c .. ':b', c .. ':p', c .. ':s')
  local b, p, s = tonumber(st[1]), tonumber(st[2]), tonumber(st[3]) or 0
  if b and p and s < b and s < p then
    local m = redis.call('HMGET', mem, c .. ':x', c .. ':h', c .. ':hc', c .. ':d', c .. ':dc', c .. ':f')
    if not m[1] then
      local hc, dc, fc = 0, 0, tonumber(m[6]) or 0
      if m[2] == hour then hc = tonumber(m[3]) or 0 end
      if m[4] == day then dc = tonumber(m[5]) or 0 end
      if (capH == 0 or hc < capH) and (capD == 0 or dc < capD) and (capF == 0 or fc < capF) then
        redis.call('HSET', mem, c .. ':h', hour, c .. ':hc', hc + 1, c .. ':d', day, c .. ':dc', dc + 1, c .. ':f', fc + 1)
        if not internal then redis.call('HINCRBY', live, c .. ':s', 1) end
        taken[#taken + 1] = c
        taken[#taken + 1] = imp
        if fc == 0 then fresh = true end
      end
    end
  end
end
if #taken > 0 then
  if fresh and redis.call('TTL', mem) < ttl then redis.call('EXPIRE', mem, ttl) end
  redis.call('XADD', rec, '*', 'k', 'imp', 'm', member, 't', now, 'n', internal and '1' or '0', 'i', table.concat(taken, ' '))
end
return taken
`
