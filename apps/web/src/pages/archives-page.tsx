import { ArchiveUploadForm } from '../components/admin/archive-upload-form.tsx';
import { JobList } from '../components/admin/job-list.tsx';
import { PageHeading } from '../components/page-heading.tsx';

export function ArchivesPage() {
  return (
    <div className="page" data-testid="archives-page">
      <PageHeading
        title="Archives"
        intro="Add photographs to the index in bulk. Uploads are ingested in the background: you can leave this page, and an interrupted job resumes when the server restarts."
      />
      <div className="admin-layout admin-layout--form-first">
        <ArchiveUploadForm />
        <JobList />
      </div>
    </div>
  );
}
