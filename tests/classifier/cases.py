"""Realistic tool definitions across many domains, each with the label a careful reviewer gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.records import Access, Location, LocationKind, ToolHints, ToolRecord
from classifier.dataset import LabelledTool

R, W, D = "read", "write", "destructive"


@dataclass(frozen=True)
class Case:
    """One tool definition and its expected label."""

    name: str
    description: str
    params: dict[str, Any]
    access: str
    risk: str
    category: str
    capabilities: frozenset[str] = field(default_factory=frozenset)
    hints: dict[str, bool] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        """The input schema with these parameters (plain strings unless a schema is given)."""
        properties = {
            name: spec if isinstance(spec, dict) else {"type": "string", "description": spec}
            for name, spec in self.params.items()
        }
        return {"type": "object", "properties": properties}


def case(
    name: str,
    description: str,
    params: dict[str, Any] | None,
    access: str,
    risk: str,
    category: str,
    capabilities: str = "",
    hints: dict[str, bool] | None = None,
) -> Case:
    """A case; `capabilities` is a space-separated list."""
    return Case(
        name, description, params or {}, access, risk, category,
        frozenset(capabilities.split()), hints or {},
    )


ENUM_ACTIONS = {"type": "string", "enum": ["create", "update", "delete", "list"]}

CASES: list[Case] = [
    # --- files -------------------------------------------------------------------------------
    case("read_file", "Read the complete contents of a file from the file system.", {"path": "Path to the file"}, R, "low", "Read", "filesystem"),
    case("read_multiple_files", "Read the contents of multiple files simultaneously.", {"paths": {"type": "array", "items": {"type": "string"}}}, R, "low", "Read", "filesystem"),
    case("write_file", "Create a new file or completely overwrite an existing file with new content.", {"path": "File path", "content": "New content"}, W, "medium", "Write", "filesystem"),
    case("edit_file", "Make line-based edits to a text file. Returns a git-style diff.", {"path": "", "edits": {"type": "array"}, "dryRun": {"type": "boolean"}}, W, "medium", "Write", "filesystem"),
    case("create_directory", "Create a new directory or ensure a directory exists.", {"path": ""}, W, "medium", "Write", "filesystem"),
    case("list_directory", "Get a detailed listing of all files and directories in a specified path.", {"path": ""}, R, "low", "Read", "filesystem"),
    case("move_file", "Move or rename files and directories.", {"source": "", "destination": ""}, W, "medium", "Write", "filesystem"),
    case("search_files", "Recursively search for files and directories matching a pattern.", {"path": "", "pattern": "", "excludePatterns": {"type": "array"}}, R, "low", "Read", "filesystem"),
    case("get_file_info", "Retrieve detailed metadata about a file or directory.", {"path": ""}, R, "low", "Read", "filesystem"),
    case("delete_file", "Delete a file from disk.", {"path": ""}, D, "critical", "Destructive", "filesystem"),
    case("fs_remove_directory", "Removes a directory and everything inside it. This cannot be undone.", {"path": "", "recursive": {"type": "boolean"}}, D, "critical", "Destructive", "filesystem"),
    case("list_allowed_directories", "Returns the list of directories this server is allowed to access.", {}, R, "low", "Read", "filesystem"),
    # --- git / github --------------------------------------------------------------------------
    case("git_status", "Shows the working tree status", {"repo_path": ""}, R, "low", "Read"),
    case("git_diff_unstaged", "Shows changes in the working directory that are not yet staged", {"repo_path": ""}, R, "low", "Read"),
    case("git_commit", "Records changes to the repository", {"repo_path": "", "message": "Commit message"}, W, "medium", "Write"),
    case("git_add", "Adds file contents to the staging area", {"repo_path": "", "files": {"type": "array"}}, W, "medium", "Write", "filesystem"),
    case("git_reset", "Unstages all staged changes", {"repo_path": ""}, D, "critical", "Destructive"),
    case("git_push", "Push local commits to the remote.", {"repo_path": "", "branch": "", "force": {"type": "boolean"}}, D, "critical", "Destructive"),
    case("git_checkout", "Switches branches", {"repo_path": "", "branch_name": ""}, W, "medium", "Write"),
    case("git_log", "Shows the commit logs", {"repo_path": "", "max_count": {"type": "integer"}}, R, "low", "Read"),
    case("create_issue", "Create a new issue in a GitHub repository", {"owner": "", "repo": "", "title": "", "body": ""}, W, "medium", "Write"),
    case("github_create_pull_request", "Create a new pull request in a GitHub repository.", {"owner": "", "repo": "", "head": "", "base": ""}, W, "medium", "Write"),
    case("get_file_contents", "Get the contents of a file or directory from a GitHub repository", {"owner": "", "repo": "", "path": "", "branch": ""}, R, "low", "Read"),
    case("list_commits", "Get list of commits of a branch in a GitHub repository", {"owner": "", "repo": "", "sha": ""}, R, "low", "Read"),
    case("merge_pull_request", "Merge a pull request", {"owner": "", "repo": "", "pull_number": {"type": "integer"}, "merge_method": {"type": "string", "enum": ["merge", "squash", "rebase"]}}, W, "medium", "Write"),
    case("add_issue_comment", "Add a comment to an existing issue", {"owner": "", "repo": "", "issue_number": {"type": "integer"}, "body": ""}, W, "medium", "Write"),
    case("delete_repository", "Permanently deletes a repository and all its issues, wiki and releases.", {"owner": "", "repo": ""}, D, "critical", "Destructive"),
    case("force_push_branch", "Force-push a branch, rewriting remote history.", {"owner": "", "repo": "", "branch": ""}, D, "critical", "Destructive"),
    case("add_collaborator", "Add a user as a collaborator to a repository with a permission level.", {"owner": "", "repo": "", "username": "", "permission": {"type": "string", "enum": ["pull", "push", "admin"]}}, W, "high", "Write", "admin"),
    case("list_deleted_branches", "List branches that were deleted in the last 30 days.", {"owner": "", "repo": ""}, R, "low", "Read"),
    # --- databases ---------------------------------------------------------------------------
    case("query", "Run a read-only SQL query", {"sql": "The SQL to run"}, R, "high", "Execute", "executes-code"),
    case("execute_sql", "Execute any SQL statement against the database.", {"sql": ""}, D, "critical", "Execute", "executes-code"),
    case("run_query", "Runs a query on the warehouse and returns the rows.", {"query": "", "database": ""}, D, "critical", "Execute", "executes-code"),
    case("list_tables", "List all tables in the database", {"schema": ""}, R, "low", "Read"),
    case("describe_table", "Get the schema information for a specific table", {"table_name": ""}, R, "low", "Read"),
    case("drop_table", "Drop a table from the database.", {"table_name": ""}, D, "critical", "Destructive"),
    case("insert_rows", "Insert rows into a table.", {"table": "", "rows": {"type": "array"}}, W, "medium", "Write"),
    case("mongo_find", "Find documents in a MongoDB collection.", {"collection": "", "filter": {"type": "object"}}, R, "low", "Read"),
    case("mongodb_delete_many", "Removes all documents that match the filter from a collection.", {"collection": "", "filter": {"type": "object"}}, D, "critical", "Destructive"),
    case("redis_set", "Set a Redis string value with an optional expiration.", {"key": "", "value": "", "expireSeconds": {"type": "integer"}}, W, "medium", "Write"),
    case("redis_get", "Get the value of a key from Redis.", {"key": ""}, R, "low", "Read"),
    case("truncate_table", "Removes all rows from a table quickly.", {"table": ""}, D, "critical", "Destructive"),
    case("create_database_backup", "Create a backup snapshot of the database.", {"database_id": ""}, W, "medium", "Write"),
    # --- cloud -------------------------------------------------------------------------------
    case("s3_list_buckets", "Lists all S3 buckets in the account.", {}, R, "low", "Read"),
    case("s3_put_object", "Uploads an object to an S3 bucket.", {"bucket": "", "key": "", "body": ""}, W, "medium", "Write"),
    case("s3_delete_object", "Deletes an object from an S3 bucket.", {"bucket": "", "key": ""}, D, "critical", "Destructive"),
    case("ec2_terminate_instances", "Shuts down and terminates one or more EC2 instances.", {"instance_ids": {"type": "array"}}, D, "critical", "Destructive"),
    case("ec2_start_instance", "Starts a stopped EC2 instance.", {"instance_id": ""}, W, "medium", "Write"),
    case("lambda_invoke_function", "Invokes a Lambda function with a JSON payload.", {"function_name": "", "payload": {"type": "object"}}, W, "medium", "Write"),
    case("describe_log_groups", "Describes CloudWatch log groups.", {"prefix": ""}, R, "low", "Read"),
    case("cloudrun_deploy_service", "Deploy a container image to Cloud Run.", {"service": "", "image": "", "region": ""}, W, "medium", "Write"),
    case("iam_attach_role_policy", "Attaches a managed policy to an IAM role.", {"role_name": "", "policy_arn": ""}, W, "high", "Write", "admin"),
    case("get_secret_value", "Retrieves the value of a secret from Secrets Manager.", {"secret_id": ""}, R, "medium", "Read", "secrets"),
    case("create_access_key", "Creates a new AWS secret access key and access key ID for a user.", {"user_name": ""}, W, "high", "Write", "admin secrets"),
    # --- kubernetes ----------------------------------------------------------------------------
    case("kubectl_get", "Get or list Kubernetes resources by type, name and namespace.", {"resourceType": "", "name": "", "namespace": ""}, R, "low", "Read"),
    case("kubectl_apply", "Apply a Kubernetes YAML manifest.", {"manifest": "", "namespace": ""}, W, "medium", "Write"),
    case("kubectl_delete", "Delete Kubernetes resources by resource type, name, labels, or from a manifest file.", {"resourceType": "", "name": "", "namespace": ""}, D, "critical", "Destructive"),
    case("kubectl_logs", "Get logs from a pod.", {"name": "", "namespace": "", "tail": {"type": "integer"}}, R, "low", "Read"),
    case("exec_in_pod", "Execute a command in a running pod container.", {"name": "", "namespace": "", "command": {"type": "array", "items": {"type": "string"}}}, D, "critical", "Execute", "executes-code"),
    case("scale_deployment", "Scale a Kubernetes deployment to a number of replicas.", {"name": "", "replicas": {"type": "integer"}}, W, "medium", "Write"),
    case("helm_uninstall", "Uninstall a Helm release.", {"name": "", "namespace": ""}, D, "critical", "Destructive"),
    # --- payments ------------------------------------------------------------------------------
    case("create_payment_intent", "Creates a PaymentIntent to charge a customer.", {"amount": {"type": "integer"}, "currency": "", "customer": ""}, W, "critical", "Financial", "moves-money personal-data"),
    case("create_refund", "Refund a charge, fully or partially.", {"charge": "", "amount": {"type": "integer"}}, W, "critical", "Financial", "moves-money"),
    case("list_charges", "List recent charges on the account.", {"limit": {"type": "integer"}}, R, "low", "Read"),
    case("create_product", "Create a product in the catalog.", {"name": "", "description": ""}, W, "medium", "Write"),
    case("create_price", "Create a price for a product.", {"product": "", "unit_amount": {"type": "integer"}, "currency": ""}, W, "medium", "Write"),
    case("transfer_funds", "Transfer money between two accounts.", {"from_account": "", "to_account": "", "amount": {"type": "number"}}, W, "critical", "Financial", "moves-money"),
    case("create_payout", "Send funds to your bank account.", {"amount": {"type": "integer"}, "currency": ""}, W, "critical", "Financial", "moves-money"),
    case("get_balance", "Retrieves the current account balance.", {}, R, "low", "Read"),
    case("paypal_create_invoice", "Create a draft invoice for a recipient.", {"recipient_email": "", "items": {"type": "array"}}, W, "medium", "Write"),
    case("cancel_subscription", "Cancels a customer's subscription immediately.", {"subscription": ""}, W, "medium", "Write"),
    case("update_payment_method", "Update the billing details of a saved payment method.", {"payment_method": "", "billing_details": {"type": "object"}}, W, "medium", "Write"),
    # --- email / chat ------------------------------------------------------------------------
    case("send_email", "Sends a new email to the given recipients.", {"to": {"type": "array"}, "subject": "", "body": ""}, W, "high", "Write", "sends-messages"),
    case("gmail_search_emails", "Search for emails using Gmail search syntax.", {"query": "", "maxResults": {"type": "integer"}}, R, "low", "Read"),
    case("read_email", "Retrieves the content of a specific email.", {"messageId": ""}, R, "low", "Read"),
    case("draft_email", "Create a draft email without sending it.", {"to": "", "subject": "", "body": ""}, W, "medium", "Write"),
    case("delete_email", "Permanently deletes an email.", {"messageId": ""}, D, "critical", "Destructive"),
    case("modify_email_labels", "Add or remove labels on an email.", {"messageId": "", "addLabelIds": {"type": "array"}, "removeLabelIds": {"type": "array"}}, W, "medium", "Write"),
    case("slack_post_message", "Post a new message to a Slack channel", {"channel_id": "", "text": ""}, W, "high", "Write", "sends-messages"),
    case("slack_reply_to_thread", "Reply to a specific message thread in Slack", {"channel_id": "", "thread_ts": "", "text": ""}, W, "high", "Write", "sends-messages"),
    case("slack_list_channels", "List public channels in the workspace", {"limit": {"type": "integer"}}, R, "low", "Read"),
    case("slack_get_channel_history", "Get recent messages from a channel", {"channel_id": ""}, R, "low", "Read"),
    case("discord_send_message", "Send a message to a Discord channel.", {"channelId": "", "content": ""}, W, "high", "Write", "sends-messages"),
    case("send_sms", "Send an SMS message via Twilio.", {"to": "", "body": ""}, W, "high", "Write", "sends-messages"),
    case("telegram_get_chats", "Get the list of chats.", {}, R, "low", "Read"),
    case("post_tweet", "Publish a tweet to the authenticated account.", {"text": ""}, W, "high", "Write", "sends-messages"),
    case("add_reaction", "Add an emoji reaction to a message.", {"channel_id": "", "timestamp": "", "reaction": ""}, W, "medium", "Write"),
    # --- CRM ---------------------------------------------------------------------------------
    case("hubspot_create_contact", "Create a new contact in HubSpot.", {"email": "", "firstname": "", "lastname": "", "phone": ""}, W, "medium", "Write", "personal-data"),
    case("search_contacts", "Search contacts by name or email.", {"query": ""}, R, "medium", "Read", "personal-data"),
    case("get_customer", "Retrieve a customer record.", {"customer_id": ""}, R, "medium", "Read", "personal-data"),
    case("salesforce_update_opportunity", "Update fields on an opportunity.", {"opportunity_id": "", "fields": {"type": "object"}}, W, "medium", "Write"),
    case("delete_lead", "Delete a lead from the CRM.", {"lead_id": ""}, D, "critical", "Destructive", "personal-data"),
    case("list_deals", "List deals in the pipeline.", {"stage": ""}, R, "low", "Read"),
    # --- calendars -----------------------------------------------------------------------------
    case("list_events", "List upcoming calendar events.", {"calendarId": "", "timeMin": ""}, R, "low", "Read"),
    case("create_event", "Create a calendar event and optionally invite attendees.", {"summary": "", "start": "", "end": "", "attendees": {"type": "array"}}, W, "medium", "Write"),
    case("delete_event", "Delete a calendar event.", {"eventId": ""}, D, "critical", "Destructive"),
    case("find_free_slots", "Find free time slots across calendars.", {"calendars": {"type": "array"}, "duration": {"type": "integer"}}, R, "low", "Read"),
    case("reschedule_meeting", "Move a meeting to a new time.", {"eventId": "", "newStart": ""}, W, "medium", "Write"),
    # --- browsers ------------------------------------------------------------------------------
    case("browser_navigate", "Navigate to a URL", {"url": ""}, W, "high", "Write", "network-egress"),
    case("browser_click", "Perform click on a web page", {"element": "", "ref": ""}, W, "medium", "Write"),
    case("browser_take_screenshot", "Take a screenshot of the current page", {"fullPage": {"type": "boolean"}}, R, "low", "Read"),
    case("browser_snapshot", "Capture accessibility snapshot of the current page", {}, R, "low", "Read"),
    case("browser_evaluate", "Evaluate JavaScript expression on page or element", {"function": ""}, D, "critical", "Execute", "executes-code"),
    case("browser_drag_and_drop", "Drag and drop between two elements", {"startElement": "", "endElement": ""}, W, "medium", "Write"),
    case("fetch", "Fetches a URL from the internet and extracts its contents as markdown.", {"url": "", "max_length": {"type": "integer"}}, R, "medium", "Read", "network-egress"),
    case("puppeteer_fill", "Fill out an input field", {"selector": "", "value": ""}, W, "medium", "Write"),
    # --- shells / code -------------------------------------------------------------------------
    case("execute_command", "Execute a terminal command with timeout.", {"command": "", "timeout_ms": {"type": "integer"}}, D, "critical", "Execute", "executes-code"),
    case("run_in_terminal", "Runs a shell command in the integrated terminal.", {"command": ""}, D, "critical", "Execute", "executes-code"),
    case("shell", "Run an arbitrary shell command and return stdout and stderr.", {"cmd": ""}, D, "critical", "Execute", "executes-code"),
    case("run_python", "Execute Python code in a sandbox and return the output.", {"code": ""}, D, "critical", "Execute", "executes-code"),
    case("kill_process", "Terminate a running process by PID.", {"pid": {"type": "integer"}}, D, "critical", "Destructive"),
    case("list_processes", "List running processes with CPU and memory usage.", {}, R, "low", "Read"),
    case("format_code", "Format source code according to the project style.", {"code": "", "language": ""}, R, "low", "Read"),
    case("docker_exec", "Run a command inside a running container.", {"container": "", "command": ""}, D, "critical", "Execute", "executes-code"),
    case("service_control", "Start, stop or query a system service.", {"service": "", "command": {"type": "string", "enum": ["start", "stop", "status"]}}, W, "medium", "Write"),
    # --- search --------------------------------------------------------------------------------
    case("brave_web_search", "Performs a web search using the Brave Search API.", {"query": "", "count": {"type": "integer"}}, R, "low", "Read"),
    case("tavily_extract", "Extract content from one or more web pages.", {"urls": {"type": "array"}}, R, "medium", "Read", "network-egress"),
    case("resolve-library-id", "Resolves a package name to a library ID for documentation lookup.", {"libraryName": ""}, R, "low", "Read"),
    case("search_archived_conversations", "Search archived conversations by keyword.", {"query": ""}, R, "low", "Read"),
    case("get_removal_status", "Get the status of a removal request.", {"request_id": ""}, R, "low", "Read"),
    # --- memory --------------------------------------------------------------------------------
    case("create_entities", "Create multiple new entities in the knowledge graph", {"entities": {"type": "array"}}, W, "medium", "Write"),
    case("delete_entities", "Delete multiple entities and their associated relations from the knowledge graph", {"entityNames": {"type": "array"}}, D, "critical", "Destructive"),
    case("read_graph", "Read the entire knowledge graph", {}, R, "low", "Read"),
    case("add_observations", "Add new observations to existing entities in the knowledge graph", {"observations": {"type": "array"}}, W, "medium", "Write"),
    case("remember", "Store a fact in long-term memory.", {"content": ""}, W, "medium", "Write"),
    case("forget_memory", "Forget a stored memory by id.", {"memory_id": ""}, D, "critical", "Destructive"),
    case("sequentialthinking", "A tool for dynamic and reflective problem-solving through thoughts.", {"thought": "", "nextThoughtNeeded": {"type": "boolean"}}, W, "medium", "Write"),
    # --- analytics -----------------------------------------------------------------------------
    case("get_insights", "Get product analytics insights for a project.", {"project_id": "", "date_from": ""}, R, "low", "Read"),
    case("run_report", "Run a Google Analytics report over a date range.", {"property_id": "", "metrics": {"type": "array"}}, R, "low", "Read"),
    case("track_event", "Track a custom event for a user.", {"event": "", "distinct_id": "", "properties": {"type": "object"}}, W, "medium", "Write"),
    case("analyze_dataset", "Compute summary statistics for a dataset.", {"dataset_id": ""}, R, "low", "Read"),
    # --- tickets -------------------------------------------------------------------------------
    case("jira_create_issue", "Create a new Jira issue.", {"project_key": "", "summary": "", "issue_type": ""}, W, "medium", "Write"),
    case("jira_transition_issue", "Transition an issue to a new status.", {"issue_key": "", "transition_id": ""}, W, "medium", "Write"),
    case("linear_search_issues", "Search issues with filters.", {"query": "", "teamId": ""}, R, "low", "Read"),
    case("linear_update_issue", "Update an existing issue.", {"id": "", "title": "", "stateId": ""}, W, "medium", "Write"),
    case("jira_delete_issue", "Delete a Jira issue.", {"issue_key": ""}, D, "critical", "Destructive"),
    case("assign_ticket", "Assign a ticket to an agent.", {"ticket_id": "", "assignee": ""}, W, "medium", "Write"),
    case("archive_project", "Archive a project. It can be restored later.", {"project_id": ""}, W, "medium", "Write"),
    case("manage_labels", "Create, update or delete labels.", {"action": ENUM_ACTIONS, "name": ""}, D, "critical", "Destructive"),
    case("issue_comment_list", "List the comments on an issue.", {"issue_id": ""}, R, "low", "Read"),
    # --- auth / admin --------------------------------------------------------------------------
    case("create_user", "Create a new user account.", {"email": "", "name": "", "role": ""}, W, "high", "Write", "admin personal-data"),
    case("list_users", "List users in the organization.", {"limit": {"type": "integer"}}, R, "low", "Read"),
    case("assign_role", "Assign a role to a user.", {"user_id": "", "role": ""}, W, "high", "Write", "admin"),
    case("revoke_api_key", "Revoke an API key so it can no longer be used.", {"key_id": ""}, D, "critical", "Destructive", "secrets"),
    case("okta_deactivate_user", "Deactivates a user; they can no longer sign in.", {"userId": ""}, W, "high", "Write", "admin"),
    case("invite_team_member", "Invite someone to the team by email.", {"email": ""}, W, "high", "Write", "admin personal-data"),
    case("reset_password", "Reset a user's password and return a temporary one.", {"user_id": ""}, D, "critical", "Destructive", "secrets"),
    case("update_billing_plan", "Change the organization's billing plan.", {"plan": ""}, W, "high", "Write", "admin"),
    case("vault_read_secret", "Read a secret from HashiCorp Vault.", {"path": ""}, R, "medium", "Read", "secrets"),
    case("vault_write_secret", "Write a secret to Vault.", {"path": "", "data": {"type": "object"}}, W, "high", "Write", "secrets"),
    case("login", "Log in with a username and password.", {"username": "", "password": ""}, W, "high", "Write", "secrets"),
    case("add_user_to_group", "Add a user to a group.", {"user_id": "", "group_id": ""}, W, "high", "Write", "admin"),
    case("create_resource_group", "Create an Azure resource group in a region.", {"name": "", "location": ""}, W, "medium", "Write"),
    # --- health / personal data -----------------------------------------------------------------
    case("fhir_search_patients", "Search patients by name or date of birth.", {"name": "", "birthdate": ""}, R, "medium", "Read", "personal-data"),
    case("get_patient_record", "Retrieve a patient's medical record.", {"patient_id": ""}, R, "medium", "Read", "personal-data"),
    # --- notes / docs --------------------------------------------------------------------------
    case("notion_create_page", "Create a new page in a Notion database.", {"parent_id": "", "title": "", "content": ""}, W, "medium", "Write"),
    case("notion_search", "Search pages and databases in the workspace.", {"query": ""}, R, "low", "Read"),
    case("obsidian_append_content", "Append content to a note in the vault.", {"filepath": "", "content": ""}, W, "medium", "Write", "filesystem"),
    case("confluence_get_page", "Get a Confluence page by ID.", {"page_id": ""}, R, "low", "Read"),
    case("gdrive_list_files", "List files in a Google Drive folder.", {"folder_id": ""}, R, "low", "Read"),
    case("sqlite_write_query", "Execute an INSERT, UPDATE, or DELETE query on the SQLite database", {"query": ""}, D, "critical", "Execute", "executes-code"),
    case("sqlite_read_query", "Execute a SELECT query on the SQLite database", {"query": ""}, R, "high", "Execute", "executes-code"),
    case("http_request", "Make an HTTP request to any URL.", {"method": {"type": "string", "enum": ["GET", "POST", "DELETE"]}, "url": ""}, D, "critical", "Destructive", "network-egress"),
    case("wallet_send", "Send crypto to an address.", {"to_address": "", "amount": {"type": "number"}}, W, "critical", "Financial", "moves-money"),
    case("slack_upload_file", "Upload a local file to Slack channels.", {"channels": "", "file_path": ""}, W, "medium", "Write", "filesystem"),
    case("block_user", "Block a user from the organization.", {"org": "", "username": ""}, W, "high", "Write", "admin"),
    # --- object-first and odd names ---------------------------------------------------------------
    case("cortex_session_end", "Close a session with a summary of work done. Reports session duration and compliance.", {"sessionId": "", "summary": "", "filesChanged": {"type": "array", "items": {"type": "string"}}}, W, "medium", "Write"),
    case("session_start", "Start a new working session.", {"project": ""}, W, "medium", "Write"),
    case("weather_forecast", "Returns the weather forecast for a city.", {"city": ""}, R, "low", "Read"),
    case("mcp__github__list_issues", "List issues in a repository.", {"owner": "", "repo": ""}, R, "low", "Read"),
    case("getOrCreateFolder", "Returns the folder with this name, creating it when missing.", {"name": ""}, W, "medium", "Write", "filesystem"),
    case("soft_delete_record", "Soft delete a record; it can be restored from the trash.", {"record_id": ""}, W, "medium", "Write"),
    case("deploy_dry_run", "Show what a deployment would change without applying it.", {"service": ""}, R, "low", "Read"),
    case("do_something", "", {}, W, "medium", "Write"),
]


def labelled_rows(count: int | None = None) -> list[LabelledTool]:
    """The first `count` cases (all by default) as labelled rows, for training and batch tests."""
    return [
        LabelledTool(
            id=f"case-{index}",
            record=ToolRecord(
                server_key="local:labels",
                name=case.name,
                description=case.description,
                input_schema=case.schema(),
                hints=ToolHints.model_validate(case.hints),
                location=Location(kind=LocationKind.SAVED),
            ),
            access=Access(case.access),
            capabilities=None,
            domain=None,
            source=f"cases:{index}",
        )
        for index, case in enumerate(CASES[:count])
    ]
