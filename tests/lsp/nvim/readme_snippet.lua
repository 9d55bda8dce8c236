-- Headless Neovim with the README's own Neovim snippet as its configuration ($AGENTSENSE_SNIPPET,
-- run first): open a Python file and wait for agentsense's diagnostics in that buffer. Results go
-- to $AGENTSENSE_OUT; Neovim exits 0 on success, 1 otherwise.

local out_path = os.getenv("AGENTSENSE_OUT")
local file = os.getenv("AGENTSENSE_FILE")

local function finish(result)
  local handle = io.open(out_path, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd(result.ok and "qall!" or "cquit 1")
end

dofile(os.getenv("AGENTSENSE_SNIPPET"))
vim.cmd("filetype on")
vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local found = vim.wait(60000, function()
  return #vim.diagnostic.get(bufnr) > 0
end, 100)
local codes = {}
for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(codes, diagnostic.code or "")
end
local clients = 0
for _ in pairs(vim.lsp.buf_get_clients(bufnr)) do
  clients = clients + 1
end
finish({ ok = found, codes = codes, attached_clients = clients })
