-- wrk script: each request asks for another customer, drawn at random among the ledger's
-- customers. Arguments after `--`: a path with %s where the customer code goes, and the number
-- of customers (codes B000000 … B(n-1) as `settle bench` writes them).
local pattern, customers

function init(args)
  pattern = args[1]
  customers = tonumber(args[2] or "100000")
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local code = string.format("B%06d", math.random(0, customers - 1))
  return wrk.format("GET", string.format(pattern, code))
end
