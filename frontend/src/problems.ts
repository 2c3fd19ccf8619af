// What each problem code of the API means and what to do about it, in both languages, for the
// people who use the dashboard (risk officers, managers, committee members, RMs): a refusal is
// shown from its code, so a Chinese reader never sees the server's English `detail` alone.
// The meanings follow api/src/problems.rs and RULES.md; `test/problems.test.ts` holds that every
// code of api/src/problems.rs is here in both languages, and no other.

export interface ProblemText {
  meaning: string;
  todo: string;
}

export const problemsEn = {
  malformed_request: { meaning: "The server could not read what the dashboard sent.", todo: "Reload the page and try again; if it happens again, tell IT with the request id." },
  validation_failed: { meaning: "An entry is missing or not valid; each one is marked next to its field.", todo: "Correct the marked fields and submit again." },
  unauthorized: { meaning: "You are signed out: the session expired or was ended, or your account changed (password, roles, unit, active status) since you signed in.", todo: "Sign in again." },
  forbidden: { meaning: "Your role does not allow this action.", todo: "Ask a colleague whose role allows it, or an administrator to grant you the role (M-4)." },
  not_found: { meaning: "Not found in your part of the bank: it does not exist, or it belongs to a unit outside yours (O-1).", todo: "Check the link or go back to the list; if it belongs to another unit, ask someone there." },
  version_conflict: { meaning: "Someone changed this since you opened it, or its status no longer allows this action.", todo: "Reload it, look at its current state and decide again." },
  duplicate: { meaning: "This exists already (a username, an open case, a link between customers, a pending request).", todo: "Use the existing one; the details below name it." },
  payload_too_large: { meaning: "What you sent is too large to be accepted at once.", todo: "Send less at once: fewer rows or a smaller file." },
  too_many_attempts: { meaning: "Too many sign-in attempts for this username or from this computer; each further attempt must wait longer.", todo: "Wait a while before trying again; if the password is lost, ask an administrator to reset it." },
  service_unavailable: { meaning: "The server is busy or its database is unavailable; nothing was changed.", todo: "Try again in a moment." },
  internal_error: { meaning: "An unexpected error on the server; nothing was changed.", todo: "Tell IT with the request id shown below." },
  no_primary: { meaning: "This would leave a customer without a primary RM: an assigned customer always has exactly one.", todo: "Reassign the customer to the new primary RM: the old assignment ends in the same step." },
  primary_exists: { meaning: "The customer already has a primary RM, and it has only one.", todo: "Use Reassign to change the primary RM, or add this RM as assistant." },
  primary_required: { meaning: "An assistant or team member can only be added once the customer has a primary RM.", todo: "Assign the primary RM first." },
  same_rm: { meaning: "This RM already holds this customer.", todo: "Choose another RM." },
  already_assigned: { meaning: "The customer already has as many RMs as the policy allows for ordinary marketing: a primary and one assistant.", todo: "End an assignment first, or have the customer served by a team (A-7)." },
  too_many_marketers: { meaning: "One more RM would exceed the policy's maximum number of RMs marketing to one customer.", todo: "End an assignment first." },
  team_needs_senior_lead: { meaning: "A team serving a large customer is led by a senior-or-higher RM as its primary.", todo: "Make a senior-or-higher RM the primary first." },
  capacity_exceeded: { meaning: "The RM would hold more key accounts (loan customers and key deposit customers) or VIP customers than the cap allows.", todo: "Choose an RM with room, or give an override reason: a second person approves (M-1)." },
  rm_not_eligible: { meaning: "This RM cannot receive customers now: not active, qualification lapsed, term ended, or under an exit case.", todo: "Choose another RM; renew the RM's qualification or term if it is due." },
  line_mismatch: { meaning: "The RM's line does not serve this kind of customer: retail RMs serve retail customers, corporate and SME RMs serve corporate, SME and institution customers.", todo: "Choose an RM of the customer's line." },
  cross_unit_not_allowed: { meaning: "The RM and the customer are in different units, and the policy does not let this RM serve across units.", todo: "Choose an RM of the customer's unit, or move the customer to the RM's unit first." },
  grade_too_low: { meaning: "The RM's grade is below what this customer calls for (core, complex, large-risk customers need a senior-or-higher primary).", todo: "Choose an RM of a higher grade." },
  invalid_share: { meaning: "The performance shares of the primary and the assistant do not add up as the policy requires.", todo: "Give shares that add up to 1, the primary's at least the assistant's (default 0.6 / 0.4)." },
  handover_required: { meaning: "The RM still holds customers: they must be handed over first.", todo: "Prepare and confirm a handover of the RM's customers first." },
  handover_incomplete: { meaning: "The handover plan leaves customers without a receiving RM.", todo: "Give every customer of the plan a receiving RM, then confirm." },
  approval_required: { meaning: "This change needs a second person: changing the primary RM of a flagged, blacklisted or high-value customer (A-10), or granting a privileged role (M-4).", todo: "Make it with Reassign, the handover confirmation or the role grant: it is then filed for approval and takes effect when a second person approves." },
  invalid_org_placement: { meaning: "A unit of this kind cannot be placed under that parent unit.", todo: "Place it under a unit of the level just above it." },
  approval_level_too_low: { meaning: "Your unit is not high enough to approve this grade: a branch approves senior RMs, a region principal RMs, the head office general managers and directors (O-3).", todo: "Have a manager of a higher unit approve it." },
  entry_requirements_not_met: { meaning: "The person does not meet the entry requirements (counter experience, grade exam passed).", todo: "Record the missing qualification first, then appoint." },
  qualification_lapsed: { meaning: "The RM's qualification exam is older than its validity (default 2 years).", todo: "Record a new qualification exam result for the RM." },
  permanently_banned: { meaning: "This person was removed by a forced exit and may never be an RM again.", todo: "Nothing can be done: the ban is permanent." },
  second_rm_required: { meaning: "This is an A-6 customer: its investigations and inspections are made by two RMs.", todo: "Name the second RM of the check." },
  lead_must_submit: { meaning: "A check is submitted by its lead RM, from their own login.", todo: "The lead RM signs in and submits it." },
  lead_must_cancel: { meaning: "Only the lead RM can cancel a check waiting for confirmation.", todo: "The lead RM signs in and cancels it." },
  lead_cannot_confirm: { meaning: "The lead RM cannot confirm in place of the second RM.", todo: "The second RM confirms from their own login." },
  second_must_confirm: { meaning: "Only the named second RM confirms or rejects this check, from their own login.", todo: "The second RM signs in and confirms or rejects it." },
  same_person: { meaning: "The two people the rule requires are one person: the same account, or two accounts of one person (same national ID).", todo: "Have a different person do it." },
  participant_not_eligible: { meaning: "An RM of the check is not active and qualified.", todo: "Choose an active, qualified RM." },
  no_assigned_participant: { meaning: "Neither RM of the check holds the customer.", todo: "Include an RM who holds the customer (its primary or assistant)." },
  second_not_independent: { meaning: "The policy asks for an independent second RM for this check, and this one holds the customer.", todo: "Choose a second RM who does not hold the customer." },
  lowest_grade: { meaning: "The RM is at the lowest grade already: there is nothing to demote to.", todo: "Consider another kind of case (disqualification)." },
  case_open: { meaning: "The RM has an open exit case and receives no new customers meanwhile.", todo: "Choose another RM, or have the committee decide the case first." },
  exit_case_open: { meaning: "An exit case is already open for this RM, or an open case blocks this change.", todo: "Work on the open case." },
  exit_case_required: { meaning: "An RM exits, or is suspended for misconduct, only through an exit case decided by the committee.", todo: "Propose an exit case with its evidence." },
  rm_exited: { meaning: "The RM has exited.", todo: "Nothing more can be done for this RM." },
  own_account: { meaning: "Nobody changes their own roles, unit, active status or RM link.", todo: "Ask another administrator." },
  account_not_yours_to_change: { meaning: "The account holds roles you may not grant, so you may not change it (nor reset its password).", todo: "Ask an administrator." },
  grant_not_allowed: { meaning: "Your roles may not grant or revoke this role (the policy says which role grants which).", todo: "Ask someone whose role may grant it." },
  checker_made_by_maker: { meaning: "Your approving role was granted by the person who made this request, so you are not a second person for it.", todo: "Have another person with the role decide." },
  rm_linked: { meaning: "The RM record is already linked to another account: one person, one RM record.", todo: "Unlink the other account first, or use it." },
} satisfies Record<string, ProblemText>;

export type ProblemCode = keyof typeof problemsEn;

export const problemsZh: Record<ProblemCode, ProblemText> = {
  malformed_request: { meaning: "服务器无法读取仪表盘发送的请求。", todo: "请刷新页面后重试；如仍出现，请将请求编号告知信息技术部门。" },
  validation_failed: { meaning: "有内容缺失或填写有误，已在相应字段旁标出。", todo: "请更正标出的字段后重新提交。" },
  unauthorized: { meaning: "您已退出登录：会话已过期或已结束，或登录后账号信息（密码、角色、机构、启用状态）已变更。", todo: "请重新登录。" },
  forbidden: { meaning: "您的角色无权执行此操作。", todo: "请由有权限的同事办理，或请管理员为您授予相应角色（M-4）。" },
  not_found: { meaning: "在您的管辖范围内找不到该记录：记录不存在，或属于您所在机构以外的机构（O-1）。", todo: "请检查链接或返回列表；如属其他机构，请联系该机构人员。" },
  version_conflict: { meaning: "该记录在您打开后已被他人修改，或其当前状态已不允许此操作。", todo: "请刷新后查看最新状态，再作决定。" },
  duplicate: { meaning: "该记录已存在（用户名、未结案件、客户关联关系或待审批的申请）。", todo: "请使用已有记录；下方详情写明了是哪一条。" },
  payload_too_large: { meaning: "提交的内容过大，无法一次接收。", todo: "请分批提交：减少行数或使用较小的文件。" },
  too_many_attempts: { meaning: "该用户名或本机的登录尝试次数过多，每次再试都须等待更长时间。", todo: "请稍候再试；如忘记密码，请管理员重置。" },
  service_unavailable: { meaning: "服务器繁忙或数据库暂不可用，未作任何更改。", todo: "请稍后重试。" },
  internal_error: { meaning: "服务器发生意外错误，未作任何更改。", todo: "请将下方的请求编号告知信息技术部门。" },
  no_primary: { meaning: "此操作会使客户没有主办客户经理：已管户的客户必须有且仅有一名主办客户经理。", todo: "请通过“更换管户”将客户改由新的主办客户经理管理，原管户关系同时终止。" },
  primary_exists: { meaning: "该客户已有主办客户经理，且只能有一名。", todo: "请通过“更换管户”更换主办客户经理，或将该客户经理添加为协办客户经理。" },
  primary_required: { meaning: "客户须先有主办客户经理，才能添加协办客户经理或团队成员。", todo: "请先指定主办客户经理。" },
  same_rm: { meaning: "该客户经理已在管理此客户。", todo: "请选择其他客户经理。" },
  already_assigned: { meaning: "该客户的营销人员已达政策上限：一名主办、一名协办。", todo: "请先终止一项管户关系，或改由客户经理小组服务（A-7）。" },
  too_many_marketers: { meaning: "再增加一名客户经理将超过政策规定的单户营销人员上限。", todo: "请先终止一项管户关系。" },
  team_needs_senior_lead: { meaning: "服务大型客户的客户经理小组须由高级及以上客户经理担任主办（牵头人）。", todo: "请先将一名高级及以上客户经理设为主办客户经理。" },
  capacity_exceeded: { meaning: "该客户经理的重点管户（贷款户及重点存款客户）或贵宾客户数量将超过上限。", todo: "请选择尚有余量的客户经理，或填写超限理由：经另一人审批后生效（M-1）。" },
  rm_not_eligible: { meaning: "该客户经理目前不能接收客户：未在岗、任职资格已过期、聘期已满或正处于退出审查中。", todo: "请选择其他客户经理；如资格或聘期到期，请先办理资格认证或续聘。" },
  line_mismatch: { meaning: "该客户经理所属条线不服务此类客户：零售客户经理服务零售客户，公司、小企业客户经理服务公司、小企业及机构客户。", todo: "请选择与客户同一条线的客户经理。" },
  cross_unit_not_allowed: { meaning: "客户经理与客户不在同一机构，政策不允许该客户经理跨机构管户。", todo: "请选择客户所在机构的客户经理，或先将客户调整到该客户经理所在机构。" },
  grade_too_low: { meaning: "该客户经理的等级低于此客户的要求（核心客户、复杂需求客户、大额风险业务等须由高级及以上客户经理主办）。", todo: "请选择等级更高的客户经理。" },
  invalid_share: { meaning: "主办与协办客户经理的业绩分配系数不符合政策要求。", todo: "请填写合计为 1 的系数，且主办不低于协办（默认 0.6 / 0.4）。" },
  handover_required: { meaning: "该客户经理仍有管户客户，须先办理移交。", todo: "请先为其客户制定并确认移交方案。" },
  handover_incomplete: { meaning: "移交方案中仍有客户未指定接收的客户经理。", todo: "请为方案中每位客户指定接收的客户经理，再确认移交。" },
  approval_required: { meaning: "此项变更须经另一人审批：更换有风险预警、污点客户或高价值客户的主办客户经理（A-10），或授予特权角色（M-4）。", todo: "请通过“更换管户”、移交确认或角色授予办理：变更将提交审批，经另一人批准后生效。" },
  invalid_org_placement: { meaning: "此类机构不能设在该上级机构之下。", todo: "请将其设在高一级的机构之下。" },
  approval_level_too_low: { meaning: "您所在机构的层级不够，无权审批该等级的任职资格：高级客户经理由分行审批，资深客户经理由区域审批，总经理、总监由总行审批（O-3）。", todo: "请由更高一级机构的主管审批。" },
  entry_requirements_not_met: { meaning: "此人不符合任职条件（柜面工作经历、等级考试）。", todo: "请先登记所缺的资格，再行聘任。" },
  qualification_lapsed: { meaning: "该客户经理的等级考试结果已超过有效期（默认二年）。", todo: "请为该客户经理登记新的等级考试结果。" },
  permanently_banned: { meaning: "此人曾被强行退出，永久不得再担任客户经理。", todo: "无法办理：该禁令为永久性。" },
  second_rm_required: { meaning: "该客户属于 A-6 类客户：调查和检查须由两名客户经理共同进行（双人调查、双人贷后检查）。", todo: "请指定协查客户经理。" },
  lead_must_submit: { meaning: "检查须由主查客户经理用本人账号提交。", todo: "请主查客户经理登录后提交。" },
  lead_must_cancel: { meaning: "只有主查客户经理才能撤销待确认的检查。", todo: "请主查客户经理登录后撤销。" },
  lead_cannot_confirm: { meaning: "主查客户经理不能代协查客户经理确认。", todo: "请协查客户经理用本人账号确认。" },
  second_must_confirm: { meaning: "只有指定的协查客户经理才能用本人账号确认或退回此项检查。", todo: "请协查客户经理登录后确认或退回。" },
  same_person: { meaning: "规则要求的两人实为同一人：同一账号，或同一身份证号的两个账号。", todo: "请由另一人办理。" },
  participant_not_eligible: { meaning: "参与检查的客户经理中有人未在岗或不具备任职资格。", todo: "请选择在岗且具备资格的客户经理。" },
  no_assigned_participant: { meaning: "参与检查的两名客户经理都不管理该客户。", todo: "请至少安排一名管理该客户的客户经理（主办或协办）。" },
  second_not_independent: { meaning: "政策要求此项检查由独立的协查客户经理进行，而该客户经理正在管理此客户。", todo: "请选择不管理该客户的协查客户经理。" },
  lowest_grade: { meaning: "该客户经理已是最低等级，无法再降级。", todo: "可考虑其他类型的案件（取消资格）。" },
  case_open: { meaning: "该客户经理有未结的退出案件，案件期间不能接收新客户。", todo: "请选择其他客户经理，或先由考评领导小组对案件作出决定。" },
  exit_case_open: { meaning: "该客户经理已有未结的退出案件，或有未结案件阻止此项变更。", todo: "请先办理该未结案件。" },
  exit_case_required: { meaning: "客户经理退出或因违规暂停，只能通过考评领导小组决定的退出案件办理。", todo: "请提出退出案件并附上证据。" },
  rm_exited: { meaning: "该客户经理已退出。", todo: "该客户经理已无可办理的事项。" },
  own_account: { meaning: "任何人都不能更改本人的角色、机构、启用状态或客户经理关联。", todo: "请由另一名管理员办理。" },
  account_not_yours_to_change: { meaning: "该账号持有您无权授予的角色，因此您不能更改该账号（包括重置密码）。", todo: "请联系管理员办理。" },
  grant_not_allowed: { meaning: "您的角色无权授予或撤销该角色（哪个角色可授予哪个角色由政策规定）。", todo: "请由有权授予该角色的人员办理。" },
  checker_made_by_maker: { meaning: "您的审批角色是由本申请的提出人授予的，因此不能算作另一人。", todo: "请由另一名具备该角色的人员审批。" },
  rm_linked: { meaning: "该客户经理档案已关联其他账号：一人只对应一份客户经理档案。", todo: "请先解除另一账号的关联，或直接使用该账号。" },
};

function known(code: string): code is ProblemCode {
  return Object.hasOwn(problemsEn, code);
}

/** The text of a problem code in the user's language, if the dashboard knows the code. */
export function problemText(lang: "en" | "zh-CN", code: string): ProblemText | null {
  if (!known(code)) return null;
  return lang === "zh-CN" ? problemsZh[code] : problemsEn[code];
}
