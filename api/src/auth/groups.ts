/**
 * Group names the system accepts (a poll's eligible group, a local account's groups): Cognito
 * allows 1–128 characters; a plain set here keeps them readable in URLs, logs and the page.
 */
export const GROUP_NAME = /^[\w.@+-]{1,128}$/
export const GROUP_NAME_RULE = '1–128 letters, digits or . _ @ + -'
