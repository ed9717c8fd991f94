import { ApiError, type PollSummary } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { pagedPollList } from '../poll-list.ts'
import { counted } from '../words.ts'

const STATUS = { draft: 'Draft', open: 'Open', closed: 'Closed' } as const

export async function adminPage(main: HTMLElement, ctx: AppContext): Promise<void> {
  if (!ctx.isAdmin) {
    main.replaceChildren(
      h('h1', {}, 'Admin'),
      notice('Only members of the admins group can manage polls.', 'error'),
    )
    return
  }
  const status = h('div', { 'aria-live': 'polite' })
  const list = h('div')
  main.replaceChildren(
    h('h1', {}, 'Manage polls'),
    h(
      'p',
      {},
      h('a', { href: '/admin/ops', 'data-link': true }, 'Operations'),
      ': votes per second, p99, the queue and the watchers, live.',
    ),
    status,
    createForm(ctx, status, () => void refresh()),
    ...(ctx.invitations ? [inviteForm(ctx, status)] : []),
    h('h2', {}, 'All polls'),
    list,
  )

  async function refresh() {
    try {
      replace(list, await pagedPollList(ctx, undefined, pollRow, 'No polls yet.'))
    } catch (error) {
      replace(
        status,
        notice(error instanceof ApiError ? error.message : 'Could not load polls.', 'error'),
      )
    }
  }

  function pollRow(poll: PollSummary) {
    const action = poll.status === 'draft' ? 'open' : poll.status === 'open' ? 'close' : undefined
    // A short label that fits a phone; the accessible name says which poll (it starts with the
    // label, so voice control users can say what they see).
    const button = action
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-action': action,
            'aria-label': `${action === 'open' ? 'Open' : 'Close'} “${poll.title}”`,
          },
          action === 'open' ? 'Open' : 'Close',
        )
      : null
    const transition = () => {
      if (!button) return
      button.disabled = true
      const request =
        action === 'open'
          ? ctx.api.client.api.polls[':pollId'].open.$post({ param: { pollId: poll.id } })
          : ctx.api.client.api.polls[':pollId'].close.$post({ param: { pollId: poll.id } })
      ctx.api.read(request).then(
        (updated) => {
          replace(status, notice(`“${updated.title}” is now ${updated.status}.`))
          void refresh()
        },
        (error: unknown) => {
          button.disabled = false
          replace(
            status,
            notice(
              error instanceof ApiError ? error.message : 'That did not work. Try again.',
              'error',
            ),
          )
        },
      )
    }
    // Closing seals the ballots for good: ask first, naming what happens (issue 18, item 9).
    button?.addEventListener('click', () => {
      if (action === 'close') confirmClose(poll, transition)
      else transition()
    })
    return h(
      'li',
      { class: 'card admin-row', 'data-poll': poll.id },
      h('h3', {}, h('a', { href: `/polls/${poll.id}`, 'data-link': true }, poll.title)),
      h(
        'p',
        { class: 'meta' },
        h('span', { class: `badge ${poll.status}`, 'data-testid': 'badge' }, STATUS[poll.status]),
        ` ${counted(poll.totalVotes, 'vote', 'votes')}`,
      ),
      poll.eligibility.kind === 'roll' ? rollControls(poll, poll.eligibility.voters) : null,
      button,
    )
  }

  /** A modal question before closing; Escape or "Keep it open" leaves the poll as it is. */
  function confirmClose(poll: PollSummary, close: () => void) {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, `Close “${poll.title}”?`),
      h(
        'p',
        {},
        `Voting stops at once for everyone. Every ballot cast is sealed into the final result${poll.publishBallots ? ' and published on the board' : ''}. This cannot be undone: a closed poll cannot be reopened.`,
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', value: 'keep' }, 'Keep it open'),
        h('button', { type: 'button', class: 'danger', value: 'close' }, 'Close and seal'),
      ),
    )
    dialog.addEventListener('click', (event) => {
      const choice = (event.target as Element).closest('button')?.value
      if (!choice) return
      dialog.close(choice)
    })
    dialog.addEventListener('close', () => {
      dialog.remove()
      if (dialog.returnValue === 'close') close()
    })
    document.body.append(dialog)
    dialog.showModal()
  }

  /** A roll poll's list size, and while it is a draft, a way to replace the list. */
  function rollControls(poll: PollSummary, voters: number) {
    const size = h('p', { class: 'meta' }, `${voters.toLocaleString()} on the voter list`)
    if (poll.status !== 'draft') return size
    const file = h('input', {
      type: 'file',
      accept: '.csv,.txt,text/csv,text/plain',
      'aria-label': `Replace the voter list of “${poll.title}”`,
    })
    file.addEventListener('change', () => {
      const chosen = file.files?.[0]
      if (!chosen) return
      void chosen
        .text()
        .then((csv) => ctx.api.uploadRoll(poll.id, csv))
        .then(
          ({ voters: now }) => {
            replace(
              status,
              notice(
                `“${poll.title}” now has ${counted(now, 'person', 'people')} on its voter list.`,
              ),
            )
            void refresh()
          },
          (error: unknown) =>
            replace(
              status,
              notice(error instanceof Error ? error.message : 'The list was not stored.', 'error'),
            ),
        )
    })
    return h(
      'div',
      {},
      size,
      h('label', { class: 'meta' }, 'Replace the list (CSV or one address per line): ', file),
    )
  }

  await refresh()
}

function createForm(ctx: AppContext, status: HTMLElement, created: () => void) {
  const options = h('ol', { class: 'option-inputs' })
  const addOption = (value = '') => {
    const index = options.children.length + 1
    const input = h('input', {
      name: 'option',
      required: true,
      maxlength: 200,
      value,
      'aria-label': `Option ${index}`,
    })
    const remove = h(
      'button',
      { type: 'button', class: 'link', 'aria-label': `Remove option ${index}` },
      'Remove',
    )
    const item = h('li', {}, input, remove)
    remove.addEventListener('click', () => {
      if (options.children.length > 2) item.remove()
    })
    options.append(item)
  }
  addOption()
  addOption()
  const eligibility = h(
    'select',
    { id: 'eligibility', name: 'eligibility' },
    h('option', { value: 'anyone' }, 'Anyone signed in'),
    h('option', { value: 'group' }, 'Members of one group'),
    h('option', { value: 'roll' }, 'The people on a voter list'),
  )
  const groupField = h(
    'div',
    { hidden: true },
    h('label', { for: 'eligible-group' }, 'Group name'),
    h('input', {
      id: 'eligible-group',
      name: 'eligibleGroup',
      maxlength: 128,
      pattern: '[\\w.@+\\-]+',
    }),
  )
  const rollFile = h('input', {
    id: 'roll-file',
    type: 'file',
    accept: '.csv,.txt,text/csv,text/plain',
  })
  const rollField = h(
    'div',
    { hidden: true },
    h('label', { for: 'roll' }, 'Voter list: email addresses, one per line'),
    h('textarea', { id: 'roll', name: 'roll', rows: 4, placeholder: 'ada@example.org' }),
    h('label', { for: 'roll-file' }, 'or a CSV file with an “email” column (up to 100,000)'),
    rollFile,
    h(
      'p',
      { class: 'meta' },
      'Voters sign in with the address on the list, once they have confirmed it. Case and “+tags” do not matter: ada+polls@example.org is ada@example.org, and has one vote.',
    ),
  )
  eligibility.addEventListener('change', () => {
    groupField.hidden = eligibility.value !== 'group'
    rollField.hidden = eligibility.value !== 'roll'
  })
  const form = h(
    'form',
    { class: 'create-poll', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'New poll'),
    h('label', { for: 'title' }, 'Title'),
    h('input', { id: 'title', name: 'title', required: true, maxlength: 200 }),
    h('label', { for: 'description' }, 'Description (optional)'),
    h('textarea', { id: 'description', name: 'description', maxlength: 2000, rows: 2 }),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Options (2 to 20)'),
      options,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => options.children.length < 20 && addOption(),
        },
        'Add option',
      ),
    ),
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'checkbox', name: 'publishBallots', checked: true }),
      ' Publish the ballots after closing, so voters can check theirs and anyone can recount',
    ),
    h(
      'p',
      { class: 'meta' },
      'Turn this off where a voter must not be able to prove their choice to someone else (see the README).',
    ),
    h('label', { for: 'eligibility' }, 'Who may vote'),
    eligibility,
    groupField,
    rollField,
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'checkbox', name: 'resultsAfterClose' }),
      ' Hide the tally until the poll closes (show only how many have voted)',
    ),
    h(
      'p',
      { class: 'meta' },
      'A live tally moves the moment someone votes: in a small poll, anyone who knows when a person voted can tell how.',
    ),
    h('button', { type: 'submit' }, 'Create draft'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const data = new FormData(form)
    const kind = formText(data, 'eligibility')
    const group = formText(data, 'eligibleGroup').trim()
    const body = {
      title: formText(data, 'title'),
      description: formText(data, 'description'),
      options: data
        .getAll('option')
        .map((value) => (typeof value === 'string' ? value : ''))
        .filter((label) => label.trim()),
      publishBallots: data.get('publishBallots') === 'on',
      resultsVisibility:
        data.get('resultsAfterClose') === 'on' ? ('after_close' as const) : ('live' as const),
      eligibility:
        kind === 'group'
          ? { kind: 'group' as const, group }
          : kind === 'roll'
            ? { kind: 'roll' as const, emails: [] }
            : { kind: 'anyone' as const },
    }
    const roll = kind === 'roll' ? rollText(formText(data, 'roll'), rollFile.files?.[0]) : undefined
    // The list goes up on its own: it can be far larger than a poll's JSON may be.
    const createDraft = async () => {
      const poll = await ctx.api.read(ctx.api.client.api.polls.$post({ json: body }))
      if (!roll) return `Draft “${poll.title}” created. Open it when you are ready.`
      try {
        const { voters } = await ctx.api.uploadRoll(poll.id, await roll)
        return `Draft “${poll.title}” created with ${counted(voters, 'person', 'people')} on its voter list. Open it when you are ready.`
      } catch (error) {
        created() // the draft is there: list it, with its list to replace
        throw new ApiError(
          error instanceof ApiError ? error.status : 0,
          'invalid_roll',
          `Draft “${poll.title}” was created, but its voter list was not stored: ${error instanceof Error ? error.message : 'upload failed'}`,
        )
      }
    }
    createDraft().then(
      (message) => {
        replace(status, notice(message))
        form.reset()
        groupField.hidden = true
        rollField.hidden = true
        created()
      },
      (error: unknown) =>
        replace(
          status,
          notice(error instanceof ApiError ? error.message : 'Could not create the poll.', 'error'),
        ),
    )
  })
  return form
}

/** Invitations: with SIGN_UP=invite, the only way anyone gets an account. */
function inviteForm(ctx: AppContext, status: HTMLElement) {
  const email = h('input', { id: 'invite-email', name: 'email', type: 'email', required: true })
  const form = h(
    'form',
    { class: 'invite', 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite someone'),
    h('label', { for: 'invite-email' }, 'Email address'),
    email,
    h(
      'p',
      { class: 'meta' },
      'They get a link, valid for 7 days, to choose a password; that also confirms their address.',
    ),
    h('button', { type: 'submit', class: 'secondary' }, 'Send invitation'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    ctx.api.invite(email.value).then(
      (sent) => {
        replace(status, notice(`Invitation sent to ${sent.email}.`))
        form.reset()
      },
      (error: unknown) =>
        replace(
          status,
          notice(error instanceof Error ? error.message : 'The invitation was not sent.', 'error'),
        ),
    )
  })
  return form
}

/** The pasted list, or the chosen file's text when there is one. */
async function rollText(pasted: string, file: File | undefined): Promise<string> {
  return file ? file.text() : pasted
}

function formText(data: FormData, name: string): string {
  const value = data.get(name)
  return typeof value === 'string' ? value : ''
}
