-- Headless Neovim as a real LSP client: open a file, wait for agentsense's diagnostics, ask for
-- code actions on the AGT401 finding, apply the fix, and check the buffer. Results go to the
-- JSON file named by $AGENTSENSE_OUT; Neovim exits 0 on success, 1 otherwise.

local out_path = os.getenv("AGENTSENSE_OUT")
local file = os.getenv("AGENTSENSE_FILE")
local cmd = vim.fn.json_decode(os.getenv("AGENTSENSE_CMD"))
local result = { ok = false, steps = {} }

local function step(name, value)
  table.insert(result.steps, { name = name, value = value })
end

local function finish(ok, message)
  result.ok = ok
  result.message = message
  local handle = io.open(out_path, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  if ok then
    vim.cmd("qall!")
  else
    vim.cmd("cquit 1")
  end
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  vim.bo.filetype = "python"
  local bufnr = vim.api.nvim_get_current_buf()
  local config = { name = "agentsense", cmd = cmd, root_dir = vim.fn.fnamemodify(file, ":h") }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  step("client", client_id)
  if not client_id then
    return finish(false, "the client did not start")
  end

  local function ours(code)
    local found = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.source == "agentsense" and (code == nil or d.code == code) then
        table.insert(found, d)
      end
    end
    return found
  end

  if not vim.wait(30000, function() return #ours("AGT401") > 0 end, 50) then
    return finish(false, "no AGT401 diagnostic arrived")
  end
  local diagnostic = ours("AGT401")[1]
  step("diagnostic", { code = diagnostic.code, lnum = diagnostic.lnum, col = diagnostic.col, message = diagnostic.message })

  -- The LSP form of the diagnostic: Neovim keeps code/data in user_data.lsp (0.7 keeps only
  -- those), the range and message in its own fields.
  local lsp_diagnostic = vim.deepcopy((diagnostic.user_data or {}).lsp or {})
  lsp_diagnostic.range = {
    start = { line = diagnostic.lnum, character = diagnostic.col },
    ["end"] = { line = diagnostic.end_lnum or diagnostic.lnum, character = diagnostic.end_col or diagnostic.col },
  }
  lsp_diagnostic.message = diagnostic.message
  lsp_diagnostic.source = diagnostic.source
  lsp_diagnostic.code = lsp_diagnostic.code or diagnostic.code
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 15000)
  local action
  for _, response in pairs(responses or {}) do
    for _, candidate in ipairs(response.result or {}) do
      step("action", candidate.title)
      if candidate.title:find("^Fix:") and candidate.edit then
        action = candidate
      end
    end
  end
  if not action then
    return finish(false, "no Fix action with an edit")
  end
  vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  step("buffer", text)
  if not text:find("if history is None:", 1, true) then
    return finish(false, "the fix did not reach the buffer")
  end
  -- The edit is sent to the server; its diagnostics for the new text drop AGT401.
  if not vim.wait(30000, function() return #ours("AGT401") == 0 end, 50) then
    return finish(false, "AGT401 still reported after the fix")
  end
  step("remaining", #ours(nil))
  finish(true, "fixed")
end

local ok, err = pcall(run)
if not ok then
  finish(false, "error: " .. tostring(err))
end
