// The tables of migrations/{sqlite,postgres}; both dialects share this one schema.

diesel::table! {
    org_units (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        path -> Text,
        depth -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        code -> Nullable<Text>,
    }
}

diesel::table! {
    rms (id) {
        id -> Text,
        employee_no -> Text,
        national_id -> Text,
        name -> Text,
        line -> Text,
        grade -> Text,
        status -> Text,
        org_unit_id -> Text,
        org_path -> Text,
        qualified_on -> Date,
        term_starts_on -> Date,
        term_ends_on -> Date,
        performance_level -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rm_qualifications (id) {
        id -> Text,
        rm_id -> Text,
        grade -> Text,
        exam_passed_on -> Date,
        approved_by_unit_id -> Text,
        approved_by_user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    banned_persons (national_id) {
        national_id -> Text,
        rm_id -> Text,
        reason -> Text,
        banned_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        roles -> Text,
        org_unit_id -> Text,
        org_path -> Text,
        rm_id -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        security_stamp -> Text,
    }
}

diesel::table! {
    role_grants (user_id, role) {
        user_id -> Text,
        role -> Text,
        granted_by -> Nullable<Text>,
        approved_by -> Nullable<Text>,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        last_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        hash -> Text,
        signed_at -> Timestamp,
        signature -> Text,
    }
}

diesel::table! {
    customers (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        org_unit_id -> Text,
        org_path -> Text,
        size -> Nullable<Text>,
        tier -> Nullable<Text>,
        categories -> Text,
        is_key_account -> Bool,
        is_vip -> Bool,
        national_id -> Nullable<Text>,
        phone -> Nullable<Text>,
        needs_second_rm_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        customer_no -> Nullable<Text>,
        national_id_hash -> Nullable<Text>,
    }
}

diesel::table! {
    customer_relations (id) {
        id -> Text,
        customer_id -> Text,
        related_customer_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        customer_id -> Text,
        rm_id -> Text,
        role -> Text,
        share_bp -> Integer,
        reason -> Text,
        valid_from -> Timestamp,
        valid_to -> Nullable<Timestamp>,
        held_since -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    /// A view: the newest snapshot of each loan.
    loans (loan_no) {
        loan_no -> Text,
        customer_id -> Text,
        rm_id -> Text,
        balance_fen -> BigInt,
        originated_on -> Date,
        classification -> Text,
        interest_due_fen -> BigInt,
        interest_paid_fen -> BigInt,
        days_past_due -> Integer,
        as_of -> Date,
        matures_on -> Nullable<Date>,
    }
}

diesel::table! {
    policies (version) {
        version -> BigInt,
        document -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_username -> Text,
        actor_roles -> Text,
        actor_org_unit_id -> Nullable<Text>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        org_path -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        request_id -> Text,
        policy_version -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        snapshot_salt -> Nullable<Text>,
        before_sha256 -> Nullable<Text>,
        after_sha256 -> Nullable<Text>,
        before_redactions -> Nullable<Text>,
        after_redactions -> Nullable<Text>,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
        last_event_seq -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        fingerprint -> Text,
        status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    handovers (id) {
        id -> Text,
        from_rm_id -> Text,
        org_path -> Text,
        status -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    handover_moves (id) {
        id -> Text,
        handover_id -> Text,
        assignment_id -> Text,
        customer_id -> Text,
        role -> Text,
        to_rm_id -> Nullable<Text>,
        note -> Text,
    }
}

diesel::table! {
    customer_tier_changes (id) {
        id -> Text,
        customer_id -> Text,
        from_tier -> Nullable<Text>,
        to_tier -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    field_checks (id) {
        id -> Text,
        customer_id -> Text,
        kind -> Text,
        lead_rm_id -> Text,
        second_rm_id -> Nullable<Text>,
        performed_at -> Timestamp,
        place -> Nullable<Text>,
        findings -> Text,
        outcome -> Nullable<Text>,
        status -> Text,
        org_path -> Text,
        submitted_by -> Text,
        confirmed_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    required_checks (id) {
        id -> Text,
        customer_id -> Text,
        kind -> Text,
        source -> Text,
        reason -> Text,
        due_on -> Date,
        org_path -> Text,
        closed_by_check_id -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        reason_code -> Nullable<Text>,
        reason_params -> Nullable<Text>,
    }
}

diesel::table! {
    field_check_evidence (id) {
        id -> Text,
        check_id -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rm_activities (id) {
        id -> Text,
        rm_id -> Text,
        customer_id -> Nullable<Text>,
        kind -> Text,
        occurred_at -> Timestamp,
        summary -> Text,
        org_path -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    flags (id) {
        id -> Text,
        customer_id -> Nullable<Text>,
        rm_id -> Nullable<Text>,
        kind -> Text,
        severity -> Text,
        source -> Text,
        reason -> Text,
        status -> Text,
        org_path -> Text,
        raised_by -> Text,
        raised_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        reason_code -> Nullable<Text>,
        reason_params -> Nullable<Text>,
    }
}

diesel::table! {
    flag_events (id) {
        id -> Text,
        flag_id -> Text,
        action -> Text,
        note -> Text,
        by_user -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    loan_snapshots (loan_no, as_of) {
        loan_no -> Text,
        as_of -> Date,
        customer_id -> Text,
        rm_id -> Text,
        balance_fen -> BigInt,
        originated_on -> Date,
        classification -> Text,
        interest_due_fen -> BigInt,
        interest_paid_fen -> BigInt,
        days_past_due -> Integer,
        matures_on -> Nullable<Date>,
    }
}

diesel::table! {
    evaluations (as_of, org_path) {
        as_of -> Date,
        org_path -> Text,
        policy_version -> BigInt,
        summary -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    complaints (id) {
        id -> Text,
        customer_id -> Text,
        rm_id -> Text,
        received_on -> Date,
        verified -> Bool,
        summary -> Text,
        org_path -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        rm_id -> Text,
        item -> Text,
        occurred_on -> Date,
        description -> Text,
        evidence -> Text,
        org_path -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    performance_metrics (rm_id, month) {
        rm_id -> Text,
        month -> Text,
        new_loan_accounts -> BigInt,
        new_loan_amount_fen -> BigInt,
        managed_accounts_increase -> BigInt,
        savings_increase_fen -> BigInt,
        corporate_increase_fen -> BigInt,
        new_bank_cards -> BigInt,
        payroll_small -> BigInt,
        payroll_large -> BigInt,
        personal_ebank -> BigInt,
        corporate_ebank -> BigInt,
        pos_merchants -> BigInt,
        npl_ratio -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    performance_scores (rm_id, month) {
        rm_id -> Text,
        month -> Text,
        scoring_table -> Text,
        total -> Text,
        items -> Text,
        risk_fund -> Text,
        org_unit_id -> Text,
        org_path -> Text,
        line -> Text,
        rank -> Integer,
        rank_of -> Integer,
        policy_version -> BigInt,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    exit_cases (id) {
        id -> Text,
        rm_id -> Text,
        kind -> Text,
        trigger_item -> Nullable<Text>,
        status -> Text,
        reason -> Text,
        evidence -> Text,
        proposed_by -> Text,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        handover_id -> Nullable<Text>,
        org_path -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        reason_code -> Nullable<Text>,
        reason_params -> Nullable<Text>,
    }
}

diesel::table! {
    exit_case_events (id) {
        id -> Text,
        case_id -> Text,
        action -> Text,
        note -> Text,
        by_user -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    customer_categories (customer_id, category) {
        customer_id -> Text,
        category -> Text,
        org_path -> Text,
    }
}

diesel::table! {
    second_rm_queue (customer_id) {
        customer_id -> Text,
        org_path -> Text,
        since -> Timestamp,
    }
}

diesel::table! {
    rm_indicators (rm_id) {
        rm_id -> Text,
        as_of -> Date,
        loan_customers -> Integer,
        overdue_customers -> Integer,
        org_path -> Text,
        /// Generated by the database from the two counts (migration `riskiest_rms`).
        overdue_ratio_bp -> Integer,
    }
}

diesel::table! {
    rm_loads (rm_id) {
        rm_id -> Text,
        key_accounts -> Integer,
        vip_customers -> Integer,
    }
}

diesel::table! {
    open_flag_counts (org_path, kind, severity) {
        org_path -> Text,
        kind -> Text,
        severity -> Text,
        open -> Integer,
    }
}

diesel::table! {
    open_check_counts (org_path, due_on) {
        org_path -> Text,
        due_on -> Date,
        open -> Integer,
    }
}

diesel::table! {
    rm_load_changes (id) {
        id -> BigInt,
        rm_id -> Text,
        key_accounts -> Integer,
        vip_customers -> Integer,
    }
}

diesel::table! {
    open_flag_count_changes (id) {
        id -> BigInt,
        org_path -> Text,
        kind -> Text,
        severity -> Text,
        open -> Integer,
    }
}

diesel::table! {
    open_check_count_changes (id) {
        id -> BigInt,
        org_path -> Text,
        due_on -> Date,
        open -> Integer,
    }
}

diesel::joinable!(rm_indicators -> rms (rm_id));
diesel::joinable!(rms -> org_units (org_unit_id));
diesel::joinable!(second_rm_queue -> customers (customer_id));
diesel::joinable!(customers -> org_units (org_unit_id));
diesel::joinable!(assignments -> customers (customer_id));
diesel::joinable!(assignments -> rms (rm_id));
diesel::joinable!(loans -> customers (customer_id));

diesel::allow_tables_to_appear_in_same_query!(
    performance_metrics,
    performance_scores,
    exit_cases,
    exit_case_events,
    org_units,
    rms,
    rm_qualifications,
    banned_persons,
    users,
    role_grants,
    revoked_tokens,
    login_throttle,
    audit_checkpoints,
    customers,
    customer_relations,
    assignments,
    loans,
    policies,
    audit_events,
    audit_head,
    idempotency_keys,
    approvals,
    handovers,
    handover_moves,
    customer_tier_changes,
    field_checks,
    required_checks,
    field_check_evidence,
    rm_activities,
    flags,
    flag_events,
    loan_snapshots,
    evaluations,
    complaints,
    incidents,
    job_runs,
    job_calendar,
    required_check_notices,
    outbox_events,
    webhooks,
    webhook_deliveries,
    customer_categories,
    second_rm_queue,
    rm_indicators,
    rm_loads,
    open_flag_counts,
    open_check_counts,
    rm_load_changes,
    open_flag_count_changes,
    open_check_count_changes,
);

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        business_date -> Date,
        attempt -> Integer,
        status -> Text,
        run_by -> Text,
        server -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        counts -> Nullable<Text>,
        error -> Nullable<Text>,
        policy_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    job_calendar (id) {
        id -> Integer,
        starts_on -> Date,
    }
}

diesel::table! {
    required_check_notices (required_check_id, notice) {
        required_check_id -> Text,
        notice -> Text,
        recorded_on -> Date,
        incident_id -> Nullable<Text>,
    }
}

diesel::table! {
    approvals (id) {
        id -> Text,
        command -> Text,
        payload -> Text,
        reason -> Text,
        rule -> Text,
        required_roles -> Text,
        org_path -> Text,
        status -> Text,
        maker_user_id -> Text,
        maker_username -> Text,
        decided_by_user_id -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        result -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        kind -> Text,
        dry_run -> Bool,
        file_name -> Nullable<Text>,
        sha256 -> Text,
        status -> Text,
        phase -> Text,
        rows_read -> BigInt,
        inserted -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        errors -> Text,
        errors_total -> BigInt,
        created_by -> Text,
        org_path -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox_events (seq) {
        seq -> BigInt,
        id -> Text,
        event_type -> Text,
        entity -> Text,
        entity_id -> Text,
        org_path -> Text,
        policy_version -> BigInt,
        request_id -> Text,
        audit_seq -> BigInt,
        occurred_at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        org_unit_id -> Text,
        org_path -> Text,
        secret -> Text,
        description -> Text,
        status -> Text,
        disabled_reason -> Nullable<Text>,
        consecutive_failures -> Integer,
        cursor_seq -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_seq -> BigInt,
        event_id -> Text,
        event_type -> Text,
        attempt -> Integer,
        redelivery -> Bool,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
        succeeded -> Bool,
    }
}
