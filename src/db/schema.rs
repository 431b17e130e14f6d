// @generated shape: matches `diesel print-schema` for migrations/sqlite (types common to
// both backends). Keep in sync with the migrations; a test checks both dialects apply.

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_entries (id) {
        id -> Text,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        organization_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_counter (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        organization_id -> Nullable<Text>,
        event_type -> Text,
        subject_type -> Text,
        subject_id -> Text,
        actor -> Text,
        data -> Text,
        created_at -> Timestamp,
        user_seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        organization_id -> Text,
        display_name -> Text,
        display_name_lower -> Text,
        external_id -> Nullable<Text>,
        attributes -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    identities (id) {
        id -> Text,
        user_id -> Text,
        organization_id -> Text,
        source_kind -> Text,
        source_id -> Text,
        external_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organization_domains (id) {
        id -> Text,
        organization_id -> Text,
        domain -> Text,
        verification_token -> Text,
        verified_at -> Nullable<Timestamp>,
        verification_method -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        jit_enabled -> Bool,
        sync_attributes_on_login -> Bool,
        default_role -> Text,
        max_seats -> Nullable<Integer>,
        allow_privileged_from_idp -> Bool,
        inactivity_suspend_days -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        inactivity_deprovision_days -> Nullable<Integer>,
    }
}

diesel::table! {
    role_assignments (id) {
        id -> Text,
        user_id -> Text,
        role_id -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        organization_id -> Text,
        key -> Text,
        name -> Text,
        privileged -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        user_name -> Text,
        user_name_lower -> Text,
        external_id -> Nullable<Text>,
        email -> Nullable<Text>,
        email_lower -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        display_name -> Nullable<Text>,
        active -> Bool,
        state -> Text,
        provisioned_by -> Text,
        attributes -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        deprovisioned_at -> Nullable<Timestamp>,
        state_changed_at -> Nullable<Timestamp>,
        state_changed_by -> Nullable<Text>,
        state_reason -> Nullable<Text>,
        event_seq -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        description -> Text,
        organization_id -> Nullable<Text>,
        event_types -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        enabled -> Bool,
        cursor_seq -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scim_directories (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scim_tokens (id) {
        id -> Text,
        directory_id -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_emails (user_id, value_lower) {
        user_id -> Text,
        organization_id -> Text,
        value_lower -> Text,
        #[sql_name = "type"]
        type_ -> Nullable<Text>,
        is_primary -> Bool,
    }
}

diesel::table! {
    saml_connections (id) {
        id -> Text,
        organization_id -> Text,
        idp_entity_id -> Text,
        idp_sso_redirect_url -> Nullable<Text>,
        idp_sso_post_url -> Nullable<Text>,
        attribute_mapping -> Text,
        group_role_mapping -> Text,
        allow_idp_initiated -> Bool,
        default_redirect_uri -> Nullable<Text>,
        require_signed_assertion -> Bool,
        allow_sha1 -> Bool,
        sign_authn_requests -> Bool,
        clock_skew_secs -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        attribute_preset -> Text,
        data_encryption -> Text,
    }
}

diesel::table! {
    saml_connection_certificates (id) {
        id -> Text,
        connection_id -> Text,
        certificate_pem -> Text,
        fingerprint_sha256 -> Text,
        not_after -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idp_simulator_keys (id) {
        id -> Text,
        private_key_pem -> Text,
        certificate_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sp_keys (id) {
        id -> Text,
        scope -> Text,
        connection_id -> Nullable<Text>,
        private_key_pem -> Text,
        certificate_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saml_authn_requests (id) {
        id -> Text,
        connection_id -> Text,
        relay_state -> Nullable<Text>,
        redirect_uri -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
        browser_binding_hash -> Nullable<Text>,
    }
}

diesel::table! {
    saml_replay_cache (connection_id, assertion_id) {
        connection_id -> Text,
        assertion_id -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sso_codes (code_hash) {
        code_hash -> Text,
        organization_id -> Text,
        connection_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        payload -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        email_lower -> Text,
        role_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    redirect_uris (id) {
        id -> Text,
        uri -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(groups -> organizations (organization_id));
diesel::joinable!(identities -> users (user_id));
diesel::joinable!(organization_domains -> organizations (organization_id));
diesel::joinable!(role_assignments -> roles (role_id));
diesel::joinable!(role_assignments -> users (user_id));
diesel::joinable!(roles -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(scim_directories -> organizations (organization_id));
diesel::joinable!(scim_tokens -> scim_directories (directory_id));
diesel::joinable!(user_emails -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(saml_authn_requests -> saml_connections (connection_id));
diesel::joinable!(saml_connection_certificates -> saml_connections (connection_id));
diesel::joinable!(saml_connections -> organizations (organization_id));
diesel::joinable!(saml_replay_cache -> saml_connections (connection_id));
diesel::joinable!(sp_keys -> saml_connections (connection_id));
diesel::joinable!(sso_codes -> users (user_id));
diesel::joinable!(invitations -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    audit_entries,
    event_counter,
    events,
    group_members,
    groups,
    identities,
    organization_domains,
    organizations,
    role_assignments,
    roles,
    scim_directories,
    scim_tokens,
    user_emails,
    users,
    webhook_deliveries,
    webhook_endpoints,
    saml_connections,
    saml_connection_certificates,
    sp_keys,
    idp_simulator_keys,
    saml_authn_requests,
    saml_replay_cache,
    sso_codes,
    invitations,
    redirect_uris,
);
