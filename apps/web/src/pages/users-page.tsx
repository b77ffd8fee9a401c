import { ApiKeyList } from '../components/admin/api-key-list.tsx';
import { CreateUserForm } from '../components/admin/create-user-form.tsx';
import { IssueApiKeyForm } from '../components/admin/issue-api-key-form.tsx';
import { UserList } from '../components/admin/user-list.tsx';
import { PageHeading } from '../components/page-heading.tsx';

export function UsersPage() {
  return (
    <div className="page" data-testid="users-page">
      <PageHeading
        title="Users & API keys"
        intro="Who can sign in, with which role, and which scripts may call the API. Every change is recorded in the audit trail."
      />
      <div className="admin-layout">
        <UserList />
        <CreateUserForm />
      </div>
      <div className="admin-layout">
        <ApiKeyList />
        <IssueApiKeyForm />
      </div>
    </div>
  );
}
